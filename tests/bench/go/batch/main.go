// batch is the workload of tests/bench/batch.bench: an allocation- and goroutine-heavy batch
// job. It starts -g goroutines, at most -par at a time, each making -allocs allocations of a
// small struct with a pointer (kept in a slice, so they escape), and prints one JSON line: its
// wall time, its CPU time (getrusage), the goroutines it started, and runtime.NumGoroutine at
// the end. With -trace FILE, Go's execution tracer (runtime/trace) records the whole run.
package main

import (
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

type item struct {
	next *item
	v    [6]uint64
}

var sink []*item

func work(n int) *item {
	var head *item
	for i := 0; i < n; i++ {
		head = &item{next: head, v: [6]uint64{uint64(i)}}
	}
	return head
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	g := flag.Int("g", 60000, "goroutines")
	allocs := flag.Int("allocs", 2000, "allocations per goroutine")
	par := flag.Int("par", 1000, "goroutines at once at most")
	tracePath := flag.String("trace", "", "write Go's execution trace here")
	flag.Parse()

	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			panic(err)
		}
		if err := trace.Start(f); err != nil {
			panic(err)
		}
		defer func() { trace.Stop(); f.Close() }()
	}
	t0, c0 := time.Now(), cpuNs()
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, *par)
	for i := 0; i < *g; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := work(*allocs)
			mu.Lock()
			if len(sink) < 64 {
				sink = append(sink, h)
			}
			mu.Unlock()
			<-sem
		}()
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(map[string]any{"started": *g, "wall_ns": time.Since(t0).Nanoseconds(),
		"cpu_ns": cpuNs() - c0, "goroutines_end": runtime.NumGoroutine()})
}
