// httpsrv is a small JSON API server for tests/bench/prodmode.bench: GET /api?n=N builds N
// records, encodes them as JSON (allocating as a typical handler does) and, like many
// services, hands a little work to a goroutine of its own per request. net/http/pprof is
// linked in, so the runtime samples allocations for its heap profile and
// /debug/pprof/trace gives Go's own execution tracer, the benchmark's anchor.
//
// GET /stats returns what the program knows: runtime.MemStats totals, goroutines it spawned
// and requests it served.
//
// Usage: httpsrv [-addr 127.0.0.1:0]; prints "listening ADDR" once it accepts connections.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
)

type Item struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Price float64  `json:"price"`
	Attrs map[string]string
}

type Response struct {
	Query string  `json:"query"`
	Count int     `json:"count"`
	Items []*Item `json:"items"`
	Total float64 `json:"total"`
}

var (
	spawned  atomic.Uint64 // goroutines started by handlers
	finished atomic.Uint64
	served   atomic.Uint64
	audit    atomic.Uint64
)

func api(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n <= 0 || n > 1000 {
		n = 20
	}
	resp := &Response{Query: r.URL.RawQuery, Count: n}
	for i := 0; i < n; i++ {
		it := &Item{ID: i, Name: "item-" + strconv.Itoa(i), Price: float64(i) * 1.25,
			Tags:  strings.Split("a,b,c", ","),
			Attrs: map[string]string{"k": strconv.Itoa(i * 7)}}
		resp.Items = append(resp.Items, it)
		resp.Total += it.Price
	}
	body, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	spawned.Add(1)
	go func(size int) { // bookkeeping off the request path
		audit.Add(uint64(size))
		finished.Add(1)
	}(len(body))
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	served.Add(1)
}

func stats(w http.ResponseWriter, r *http.Request) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	json.NewEncoder(w).Encode(map[string]uint64{
		"total_alloc":    ms.TotalAlloc,
		"mallocs":        ms.Mallocs,
		"num_gc":         uint64(ms.NumGC),
		"spawned":        spawned.Load(),
		"finished":       finished.Load(),
		"served":         served.Load(),
		"num_goroutine":  uint64(runtime.NumGoroutine()),
		"mem_profile_rt": uint64(runtime.MemProfileRate),
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/api", api)
	http.HandleFunc("/stats", stats)
	fmt.Printf("listening %s\n", ln.Addr())
	os.Stdout.Sync()
	http.Serve(ln, nil)
}
