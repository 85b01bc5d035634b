// blocked knows how long its goroutines have been blocked: one waits on a channel and one sits
// in a read(2) from the moment the program starts; one spins and never blocks. Automatic GC is
// off and main calls runtime.GC() every 200 ms, so the runtime's g.waitsince of the blocked
// ones is set by the program's own, timed cycles. Times are CLOCK_MONOTONIC ns, the clock of
// the runtime's nanotime and of xgotop's traces.
//
// Once -ready-gcs cycles have run after the goroutines blocked, it prints one JSON line
// ("ready": the goroutines and when they blocked); when its standard input closes, one more
// with every cycle's start and end, and it exits.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

func mono() int64 {
	var ts syscall.Timespec
	// CLOCK_MONOTONIC = 1
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Sec*1e9 + ts.Nsec
}

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

type blocker struct {
	Role    string `json:"role"`
	Goid    uint64 `json:"goid"`
	BlockNs int64  `json:"block_ns"` // just before it blocked; 0 for the spinner
}

type gc struct {
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
}

var spins atomic.Uint64

func main() {
	readyGCs := flag.Int("ready-gcs", 3, "GC cycles after the goroutines blocked before \"ready\"")
	flag.Parse()
	debug.SetGCPercent(-1)

	started := make(chan blocker, 3)
	never := make(chan int)
	go func() {
		started <- blocker{"chan", goid(), mono()}
		<-never
	}()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		panic(err)
	}
	go func() {
		var b [1]byte
		started <- blocker{"syscall", goid(), mono()}
		syscall.Read(fds[0], b[:]) // nothing is ever written: in read(2) for good
	}()
	go func() {
		started <- blocker{"spin", goid(), 0}
		for {
			spins.Add(1)
		}
	}()
	var bs []blocker
	for i := 0; i < 3; i++ {
		bs = append(bs, <-started)
	}
	// the blockers are blocked within moments of saying so
	time.Sleep(20 * time.Millisecond)

	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	var gcs []gc
	out := json.NewEncoder(os.Stdout)
	for said := false; ; {
		select {
		case <-done:
			out.Encode(map[string]any{"gcs": gcs, "spins": spins.Load()})
			return
		case <-time.After(200 * time.Millisecond):
		}
		t := mono()
		runtime.GC()
		gcs = append(gcs, gc{t, mono()})
		if !said && len(gcs) >= *readyGCs {
			said = true
			if err := out.Encode(map[string]any{"ready": true, "pid": os.Getpid(), "goroutines": bs}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
}
