// gbench is the workload of tests/bench/record.bench: it does one kind of runtime work n times
// in a loop and prints, as one JSON line on stdout, how long the loop took (wall clock and the
// process's CPU time), so that a run under `xgotop record` can be compared with a plain run.
//
//	gbench -mode alloc|pingpong|spawn|syscall [-n N] [-rate R] [-depth D] [-life DUR] [-idle DUR]
//	       [-pingpong R] [-trace FILE]
//
//	alloc     n allocations of a 48-byte struct with a pointer (one mallocgc-family call each)
//	pingpong  n round trips between two goroutines over unbuffered channels (4 status changes)
//	spawn     n goroutines started and waited for (create, run, exit); with -life DUR each
//	          lives DUR (asleep) and the loop goes on without waiting (they are waited for at
//	          the end)
//	syscall   n write(2) calls to /dev/null (running -> syscall -> running)
//
// With -rate R the loop is paced to R iterations per second (for delay measurements). With
// -depth D the loop, and pingpong's other goroutine, run D calls deeper (about 128 bytes of
// stack each), so that the stacks where they block are D frames deeper. With -idle DUR the
// program sleeps DUR after the loop (and its goroutines' end) before it prints and exits. With
// -pingpong R two more goroutines trade R messages a second over unbuffered channels while the
// loop runs (both exit when it ends). With -trace FILE Go's execution tracer writes FILE while
// the loop runs (tests/bench/import.bench: large Go traces to import).
package main

import (
	"encoding/json"
	"flag"
	"os"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

type obj struct {
	p *int
	a [5]uint64
}

var sink *obj

//go:noinline
func alloc() { sink = new(obj) }

var depthSink byte

// atDepth calls f d frames below its caller.
//
//go:noinline
func atDepth(d int, f func()) {
	var pad [96]byte
	pad[d%96] = byte(d)
	if d > 0 {
		atDepth(d-1, f)
	} else {
		f()
	}
	depthSink += pad[(d+1)%96]
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// background starts two goroutines trading rate messages a second; the function it returns
// stops them and waits for both to exit.
func background(rate float64) func() {
	if rate <= 0 {
		return func() {}
	}
	ping, pong, done := make(chan int), make(chan int), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for v := range ping {
			pong <- v
		}
	}()
	go func() {
		defer wg.Done()
		defer close(ping)
		period := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			ping <- i
			<-pong
			next = next.Add(period)
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func main() {
	mode := flag.String("mode", "alloc", "alloc, pingpong, spawn or syscall")
	n := flag.Int("n", 1000000, "iterations")
	rate := flag.Float64("rate", 0, "iterations per second (0: as fast as possible)")
	depth := flag.Int("depth", 0, "run the loop this many calls deeper")
	life := flag.Duration("life", 0, "spawn: each goroutine sleeps this long, not waited for")
	idle := flag.Duration("idle", 0, "sleep this long after the loop")
	pingpong := flag.Float64("pingpong", 0, "two goroutines trade this many messages a second meanwhile")
	tracePath := flag.String("trace", "", "run Go's execution tracer into this file during the loop")
	flag.Parse()
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			panic(err)
		}
		defer func() { trace.Stop(); f.Close() }()
	}
	stopPingpong := background(*pingpong)

	var step func(i int)
	var finish func()
	switch *mode {
	case "alloc":
		step = func(int) { alloc() }
	case "pingpong":
		ping, pong := make(chan int), make(chan int)
		go atDepth(*depth, func() {
			for v := range ping {
				pong <- v
			}
			close(pong)
		})
		step = func(i int) { ping <- i; <-pong }
		finish = func() { close(ping); <-pong }
	case "spawn":
		var wg sync.WaitGroup
		if *life > 0 {
			step = func(int) {
				wg.Add(1)
				go func() { time.Sleep(*life); wg.Done() }()
			}
			finish = wg.Wait
			break
		}
		step = func(int) {
			wg.Add(1)
			go func() { wg.Done() }()
			wg.Wait()
		}
	case "syscall":
		fd, err := syscall.Open("/dev/null", syscall.O_WRONLY, 0)
		if err != nil {
			panic(err)
		}
		buf := []byte("x")
		step = func(int) { syscall.Write(fd, buf) }
	default:
		panic("unknown -mode " + *mode)
	}

	var period time.Duration
	if *rate > 0 {
		period = time.Duration(float64(time.Second) / *rate)
	}
	c0, t0 := cpuNs(), time.Now()
	next := t0
	atDepth(*depth, func() {
		for i := 0; i < *n; i++ {
			step(i)
			if period > 0 {
				next = next.Add(period)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
			}
		}
		if finish != nil {
			finish()
		}
	})
	wall, cpu := time.Since(t0), cpuNs()-c0
	stopPingpong()
	time.Sleep(*idle)
	json.NewEncoder(os.Stdout).Encode(map[string]any{"mode": *mode, "n": *n, "wall_ns": wall.Nanoseconds(), "cpu_ns": cpu})
}
