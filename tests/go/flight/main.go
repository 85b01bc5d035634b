// flight keeps Go 1.25's flight recorder (runtime/trace.FlightRecorder) running while its
// goroutines block, wake and exit for -for (default 1.5 s), with generations cut every 100 ms,
// then writes the recorder's window to -trace FILE: a Go trace that starts at a later
// generation, with goroutines first seen mid-life, as tests/import.test reads it. A goroutine
// (main.stuck) stays blocked on a channel from the start; workers come and go throughout.
// Before Go 1.25 it prints "flight: no flight recorder" and exits 3.
//
// Usage: GODEBUG=traceadvanceperiod=100000000 flight -trace FILE [-for DURATION]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

var never = make(chan int)

func stuck() { <-never }

func worker(n int, done chan<- int) {
	time.Sleep(time.Duration(n%5) * time.Millisecond)
	done <- n
}

func work(until time.Time) {
	done := make(chan int)
	for i := 0; time.Now().Before(until); i++ {
		go worker(i, done)
		<-done
	}
}

func main() {
	path := flag.String("trace", "", "write the flight recorder's window here")
	d := flag.Duration("for", 1500*time.Millisecond, "how long to run")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "usage: flight -trace FILE [-for DURATION]")
		os.Exit(2)
	}
	go stuck()
	if err := record(*path, func() { work(time.Now().Add(*d)) }); err != nil {
		fmt.Fprintln(os.Stderr, "flight:", err)
		os.Exit(3)
	}
	fmt.Println("flight: done")
}
