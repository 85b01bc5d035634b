// tracekinds makes Go's execution tracer write every kind of event it has, for
// tests/gotrace_parse.test: user tasks, regions and logs (runtime/trace), GC cycles with mark
// assists and sweeps, blocking and non-blocking system calls, goroutines that block, wake and
// exit, CPU profile samples, and coroutine switches (iter.Pull, Go 1.23+).
//
// -threads adds 400 ms of 40 goroutines blocked in read(2) on pipes that 40 others write to
// with GOMAXPROCS 8: dozens of threads whose events often bear the same time (the tracer's clock
// ticks every 64 ns), which Go's reader orders in a way a reader must copy exactly.
//
// Usage: tracekinds -trace FILE [-threads]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

var sink [][]byte

func churn(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 4096))
		if len(sink) > 256 {
			sink = sink[:0]
		}
	}
}

// manyThreads: 40 readers blocked in read(2), each woken by its writer every 50 µs, for 400 ms.
func manyThreads() {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	var wg sync.WaitGroup
	until := time.Now().Add(400 * time.Millisecond)
	for i := 0; i < 40; i++ {
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for time.Now().Before(until) {
				syscall.Write(fds[1], []byte{1})
				time.Sleep(50 * time.Microsecond)
			}
			syscall.Close(fds[1])
		}()
		go func() {
			defer wg.Done()
			b := make([]byte, 1)
			for {
				if n, _ := syscall.Read(fds[0], b); n <= 0 {
					syscall.Close(fds[0])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func main() {
	out := flag.String("trace", "", "execution trace file")
	threads := flag.Bool("threads", false, "add the phase of many threads in system calls")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, task := trace.NewTask(context.Background(), "main")
	trace.Log(ctx, "phase", "start")

	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sub, t := trace.NewTask(ctx, "worker")
			defer t.End()
			trace.WithRegion(sub, "alloc", func() { churn(2000) })
			r := trace.StartRegion(sub, "wait")
			v := <-ch
			r.End()
			trace.Logf(sub, "got", "%d from %d", v, i)
		}(i)
	}
	for i := 0; i < 4; i++ {
		time.Sleep(5 * time.Millisecond)
		ch <- i
	}
	wg.Wait()

	trace.WithRegion(ctx, "gc", func() {
		runtime.GC()
		churn(5000)
		runtime.GC()
	})
	trace.WithRegion(ctx, "syscalls", func() {
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err == nil {
			go func() {
				time.Sleep(10 * time.Millisecond)
				syscall.Write(fds[1], []byte("x"))
			}()
			buf := make([]byte, 1)
			syscall.Read(fds[0], buf) // blocks in the kernel
			syscall.Close(fds[0])
			syscall.Close(fds[1])
		}
		for i := 0; i < 100; i++ {
			syscall.Getpid()
		}
	})
	trace.WithRegion(ctx, "coroutines", coroutines)
	if *threads {
		trace.WithRegion(ctx, "threads", manyThreads)
	}
	trace.WithRegion(ctx, "spin", func() {
		x := uint64(1)
		for until := time.Now().Add(150 * time.Millisecond); time.Now().Before(until); {
			for i := 0; i < 10000; i++ {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		fmt.Fprintln(io.Discard, x)
	})
	trace.Log(ctx, "phase", "end")
	task.End()
	trace.Stop()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("tracekinds: done")
}
