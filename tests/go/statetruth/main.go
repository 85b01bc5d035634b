// statetruth keeps goroutines busy in every scheduling state for a known time, under Go's
// execution tracer, so that tests/gotrace.test can compare the time xgotop measures in each
// state with the tracer's. For -for (default 2s), with GOMAXPROCS 2:
//
//   - main.spin: three goroutines loop on the CPU (running, and runnable while the other two
//     hold both Ps)
//   - main.feed, main.receive: feed sleeps 20 ms and sends on a channel that receive waits on
//     (waiting: sleep, chan receive)
//   - main.hold, main.contend: hold keeps a mutex for 15 ms at a time, contend waits for it
//     (waiting: sync.Mutex.Lock)
//   - main.nap: raw nanosleep system calls of 10 ms (syscall)
//   - main.brief: every 50 ms, a goroutine that lives about 1 ms
//   - main.linger: blocked on a channel until the program exits (alive at the trace's end)
//
// The trace runs from the start of main until everything but linger has exited.
//
// Usage: statetruth -trace FILE [-for DURATION]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

var sink uint64

func spin(until time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	x := uint64(1)
	for time.Now().Before(until) {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink += x
}

func feed(until time.Time, ch chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; time.Now().Before(until); i++ {
		time.Sleep(20 * time.Millisecond)
		ch <- i
	}
	close(ch)
}

func receive(ch <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	n := 0
	for v := range ch {
		n += v
	}
	sink += uint64(n)
}

func hold(until time.Time, mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	for time.Now().Before(until) {
		mu.Lock()
		time.Sleep(15 * time.Millisecond)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
}

func contend(until time.Time, mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	time.Sleep(time.Millisecond) // let hold take it first
	for time.Now().Before(until) {
		mu.Lock()
		mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

func nap(until time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	ts := syscall.Timespec{Nsec: int64(10 * time.Millisecond)}
	for time.Now().Before(until) {
		syscall.Nanosleep(&ts, nil)
	}
}

func brief(wg *sync.WaitGroup) {
	defer wg.Done()
	time.Sleep(time.Millisecond)
}

func linger(ch <-chan int) {
	<-ch
}

func main() {
	tracePath := flag.String("trace", "", "run runtime/trace into this file")
	dur := flag.Duration("for", 2*time.Second, "how long the goroutines work")
	flag.Parse()
	if *tracePath == "" {
		fmt.Fprintln(os.Stderr, "usage: statetruth -trace FILE [-for DURATION]")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(2)
	tf, err := os.Create(*tracePath)
	if err != nil {
		panic(err)
	}
	if err := trace.Start(tf); err != nil {
		panic(err)
	}

	until := time.Now().Add(*dur)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ch := make(chan int)
	never := make(chan int)
	wg.Add(8)
	for i := 0; i < 3; i++ {
		go spin(until, &wg)
	}
	go feed(until, ch, &wg)
	go receive(ch, &wg)
	go hold(until, &mu, &wg)
	go contend(until, &mu, &wg)
	go nap(until, &wg)
	go linger(never)
	var bwg sync.WaitGroup
	for time.Now().Before(until) {
		bwg.Add(1)
		go brief(&bwg)
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	bwg.Wait()

	trace.Stop()
	if err := tf.Close(); err != nil {
		panic(err)
	}
	fmt.Println("statetruth: done")
}
