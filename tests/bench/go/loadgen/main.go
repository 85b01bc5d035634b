// loadgen sends GET requests to a URL at a fixed rate over a fixed number of keep-alive
// connections for a fixed time (open loop: request i is due at start + i/rate; its latency is
// measured from when it was due, so a stalled server shows in the figures instead of slowing
// the load down), then prints one JSON line: requests sent, answered, failed, the achieved
// rate and latency percentiles in microseconds.
//
// Usage: loadgen -url URL [-rate 2000] [-duration 5s] [-conns 16]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	rate := flag.Float64("rate", 2000, "requests per second")
	dur := flag.Duration("duration", 5*time.Second, "how long")
	conns := flag.Int("conns", 16, "connections (and workers)")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	n := int(*rate * dur.Seconds())
	due := make(chan time.Time, n)
	lat := make([][]time.Duration, *conns)
	fails := make([]int, *conns)
	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for t := range due {
				resp, err := client.Get(*url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					fails[w]++
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}(w)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))
		if d := time.Until(t); d > 0 {
			time.Sleep(d)
		}
		due <- t
	}
	close(due)
	wg.Wait()
	elapsed := time.Since(start)

	var all []time.Duration
	failed := 0
	for w := range lat {
		all = append(all, lat[w]...)
		failed += fails[w]
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds())
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"sent": n, "ok": len(all), "failed": failed,
		"achieved_rps": float64(len(all)) / elapsed.Seconds(),
		"p50_us":       pct(0.50), "p90_us": pct(0.90), "p99_us": pct(0.99), "max_us": pct(1),
	})
}
