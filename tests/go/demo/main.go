// demo is the program `make demo` traces: a small job server. A producer feeds jobs to a pool
// of workers over a channel, workers allocate result buffers and report under a mutex, a
// ticker goroutine sleeps, and every second a short-lived batch of goroutines fans out and in.
// It runs for -duration (default 5s) and prints what it did. -rate N feeds at most N jobs a
// second (default: as fast as the workers take them).
package main

import (
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"
)

type result struct {
	id   int
	data []byte
	tag  string
}

func worker(id int, jobs <-chan int, mu *sync.Mutex, done *int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		r := &result{id: j, data: make([]byte, 256+j%512), tag: strings.Repeat("x", j%16)}
		mu.Lock()
		*done += len(r.data) / len(r.data)
		mu.Unlock()
	}
	_ = id
}

func fanout(n int) {
	var wg sync.WaitGroup
	out := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * time.Millisecond)
			out <- i * i
		}(i)
	}
	wg.Wait()
	close(out)
	sum := 0
	for v := range out {
		sum += v
	}
	_ = sum
}

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long to run")
	rate := flag.Int("rate", 0, "jobs per second at most (0: no limit)")
	flag.Parse()

	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go worker(i, jobs, &mu, &done, &wg)
	}
	stop := time.After(*duration)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	batches := 0
	for j := 0; ; j++ {
		select {
		case <-stop:
			close(jobs)
			wg.Wait()
			fmt.Printf("demo: %d jobs, %d fan-out batches\n", done, batches)
			return
		case <-tick.C:
			fanout(8)
			batches++
		case jobs <- j:
			if *rate > 0 {
				time.Sleep(time.Second / time.Duration(*rate))
			} else if j%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
}
