// timing knows how long each of its goroutines has been in each state, for tests that compare
// xgotop's time figures with the truth. From its start:
//
//   - main.blockedForever receives from a channel nobody sends on: blocked for good;
//   - main.sleeper, locked to its thread, loops: sleeps 300 ms (time.Sleep), then spins 200 ms on
//     the CPU, and logs when each phase began with its thread's CPU time then (and every 10 ms
//     while it spins);
//   - -idle goroutines (main.idle) sleep 100 ms at a time, and know the longest any took: never
//     blocked long;
//   - main turns automatic GC off and calls runtime.GC() every 200 ms, logging each cycle's start
//     and end, so the runtime's g.waitsince of the blocked goroutine is set by timed cycles.
//
// No other goroutine of the program's runs, so runtime.NumGoroutine() is 3 + idle all along (it
// is read at every cycle and reported as min and max).
//
// Times are CLOCK_MONOTONIC ns (the runtime's nanotime and the clock of xgotop's traces, whose
// metadata clock.start_ns is trace time 0). Once -ready has passed and three cycles have run it
// prints one JSON line ("ready"); once the file -stop exists, one more with everything it logged,
// and it exits.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func clock(id uintptr) int64 {
	var ts syscall.Timespec
	// RawSyscall: no entersyscall, the goroutine stays running
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Sec*1e9 + ts.Nsec
}

func mono() int64      { return clock(1) } // CLOCK_MONOTONIC
func threadCPU() int64 { return clock(3) } // CLOCK_THREAD_CPUTIME_ID

func goid() uint64 {
	var buf [64]byte
	s := buf[:runtime.Stack(buf[:], false)]
	s = bytes.TrimPrefix(s, []byte("goroutine "))
	n, err := strconv.ParseUint(string(s[:bytes.IndexByte(s, ' ')]), 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// A point of the sleeper's life: at Ns (monotonic) it began Phase ("sleep" or "spin"), or kept
// spinning (""), having used CPUNs of CPU time.
type point struct {
	Phase string `json:"phase,omitempty"`
	Ns    int64  `json:"ns"`
	CPUNs int64  `json:"cpu_ns"`
}

type gc struct {
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
}

type goroutine struct {
	Role    string `json:"role"`
	Goid    uint64 `json:"goid"`
	StartFn string `json:"start_fn"`
	BlockNs int64  `json:"block_ns,omitempty"` // blockedForever: just before it blocked
}

var (
	mu          sync.Mutex
	points      []point
	idleLongest int64 // the longest sleep of an idle goroutine, ns
	sink        uint64
)

func blockedForever(said chan<- goroutine, never chan int) {
	said <- goroutine{"blocked", goid(), "main.blockedForever", mono()}
	<-never
}

func logPoint(phase string) {
	p := point{phase, mono(), threadCPU()}
	mu.Lock()
	points = append(points, p)
	mu.Unlock()
}

func sleeper(said chan<- goroutine) {
	runtime.LockOSThread() // its thread's CPU time is its own
	said <- goroutine{"sleeper", goid(), "main.sleeper", 0}
	for {
		logPoint("sleep")
		time.Sleep(300 * time.Millisecond)
		logPoint("spin")
		t0 := time.Now()
		last := t0
		for time.Since(t0) < 200*time.Millisecond {
			for i := 0; i < 10000; i++ {
				sink = sink*6364136223846793005 + 1442695040888963407
			}
			if time.Since(last) >= 10*time.Millisecond {
				last = time.Now()
				logPoint("")
			}
		}
	}
}

func idle(said chan<- goroutine) {
	said <- goroutine{"idle", goid(), "main.idle", 0}
	for {
		t0 := mono()
		time.Sleep(100 * time.Millisecond)
		d := mono() - t0
		mu.Lock()
		idleLongest = max(idleLongest, d)
		mu.Unlock()
	}
}

func main() {
	ready := flag.Duration("ready", 2*time.Second, "run this long before saying \"ready\"")
	stop := flag.String("stop", "", "exit once this file exists")
	nidle := flag.Int("idle", 10, "idle goroutines")
	flag.Parse()
	debug.SetGCPercent(-1)
	start := mono()

	said := make(chan goroutine)
	never := make(chan int)
	go blockedForever(said, never)
	go sleeper(said)
	for i := 0; i < *nidle; i++ {
		go idle(said)
	}
	gs := []goroutine{{"main", goid(), "runtime.main", 0}}
	for i := 0; i < 2+*nidle; i++ {
		gs = append(gs, <-said)
	}

	out := json.NewEncoder(os.Stdout)
	var gcs []gc
	minN, maxN := runtime.NumGoroutine(), runtime.NumGoroutine()
	for said := false; ; {
		time.Sleep(200 * time.Millisecond)
		t := mono()
		runtime.GC()
		gcs = append(gcs, gc{t, mono()})
		n := runtime.NumGoroutine()
		minN, maxN = min(minN, n), max(maxN, n)
		if !said && len(gcs) >= 3 && mono()-start >= int64(*ready) {
			said = true
			err := out.Encode(map[string]any{"ready": true, "pid": os.Getpid(), "start_ns": start,
				"goroutines": gs, "num_goroutine": n})
			if err != nil {
				panic(err)
			}
		}
		if _, err := os.Stat(*stop); said && err == nil {
			mu.Lock()
			err = out.Encode(map[string]any{"end_ns": mono(), "gcs": gcs, "sleeper": points,
				"idle_longest_ns": idleLongest, "num_goroutine": map[string]int{"min": minN, "max": maxN}})
			mu.Unlock()
			if err != nil {
				panic(err)
			}
			return
		}
	}
}
