// gtruth is a Go program that knows what it did, for checking `xgotop record` against ground
// truth. It starts a tree of goroutines with known parents; goroutines that block on a channel
// receive, a channel send, a select, a mutex, a condition variable, a WaitGroup, a sleep and
// loopback network I/O; a goroutine that makes a known number of system calls; a goroutine
// that makes a known number of allocations of known types and sizes; on Go 1.23+ an iter.Pull
// coroutine; in cgo builds, calls into Go from a C thread; and goroutines that are still
// blocked (leaked) when it exits.
//
// Every blocking goroutine is released only after runtime.Stack shows it parked with the wait
// reason the runtime itself prints, which is recorded as the truth. Before writing the truth
// it waits until every goroutine that should have exited has exited (runtime.NumGoroutine), so
// exit events are all in the trace too.
//
// Usage: gtruth [-truth FILE] [-wait-file FILE] [-allocs N] [-syscalls N] [-exec-self]
//
//	[-hold DURATION] [-crash panic|kill]
//
// -exec-self first runs a copy of itself (to check that a child process is not traced),
// -hold keeps running after the truth is written, -crash ends the program abnormally then.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// G is one goroutine the program started.
type G struct {
	Goid     uint64   `json:"goid"`
	Parent   uint64   `json:"parent"`
	Role     string   `json:"role"`
	Fn       string   `json:"fn"`              // its start function
	Waits    []string `json:"waits,omitempty"` // wait reasons it was seen parked on
	Exited   bool     `json:"exited"`          // it returned before the truth was written
	Leaked   bool     `json:"leaked,omitempty"`
	Syscalls int      `json:"syscalls,omitempty"` // syscall.Write calls it made, nothing else
	// a cgo callback's goroutine (cgo builds): never created by newproc; it runs Callbacks
	// times on an extra M, each time dead -> syscall -> ... -> syscall -> dead
	Callbacks  int  `json:"callbacks,omitempty"`
	NotCreated bool `json:"not_created,omitempty"`
}

// Alloc is a number of heap allocations of one type made by one goroutine.
type Alloc struct {
	Type  string `json:"type"`
	Size  uint64 `json:"size"` // bytes per allocation
	Count uint64 `json:"count"`
	Goid  uint64 `json:"goid"`
}

// Truth is what gtruth writes at exit.
type Truth struct {
	Pid        int     `json:"pid"`
	GoVersion  string  `json:"go_version"`
	MainGoid   uint64  `json:"main_goid"`
	Goroutines []*G    `json:"goroutines"`
	Allocs     []Alloc `json:"allocs"`
	GCCalls    int     `json:"gc_calls"` // runtime.GC() calls made
	NumGC      uint32  `json:"num_gc"`   // runtime.MemStats.NumGC at the end
	mu         sync.Mutex
}

func (t *Truth) add(g *G) *G {
	t.mu.Lock()
	t.Goroutines = append(t.Goroutines, g)
	t.mu.Unlock()
	return g
}

// goid is the current goroutine's id, as runtime.Stack prints it.
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

// startFn is the name of the function the calling goroutine started in.
func startFn() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	last := ""
	for {
		f, more := frames.Next()
		if f.Function == "runtime.goexit" || f.Function == "" {
			break
		}
		last = f.Function
		if !more {
			break
		}
	}
	return last
}

// parkedAs waits until goroutine id is parked and returns the wait reason runtime.Stack shows
// for it, once it is one of want.
func parkedAs(id uint64, want ...string) string {
	prefix := fmt.Sprintf("goroutine %d [", id)
	buf := make([]byte, 1<<20)
	for i := 0; ; i++ {
		all := string(buf[:runtime.Stack(buf, true)])
		if at := strings.Index(all, prefix); at >= 0 {
			st := all[at+len(prefix):]
			st = st[:strings.IndexByte(st, ']')]
			if c := strings.Index(st, ","); c >= 0 { // "chan receive, 2 minutes"
				st = st[:c]
			}
			for _, w := range want {
				if st == w {
					return st
				}
			}
		}
		if i > 20000 {
			panic(fmt.Sprintf("goroutine %d never parked as %q", id, want))
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// blocker starts a goroutine that runs block (which parks), waits until it is parked as one
// of reasons, then calls release.
func blocker(t *Truth, wg *sync.WaitGroup, role string, block func(), release func(), reasons ...string) {
	parent := goid()
	ids := make(chan *G)
	wg.Add(1)
	go func() {
		defer wg.Done()
		g := t.add(&G{Goid: goid(), Parent: parent, Role: role, Fn: startFn(), Exited: true})
		ids <- g
		block()
	}()
	g := <-ids
	g.Waits = append(g.Waits, parkedAs(g.Goid, reasons...))
	if release != nil {
		release()
	}
}

func spawnTree(t *Truth, depth int, parent uint64, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		me := t.add(&G{Goid: goid(), Parent: parent, Role: fmt.Sprintf("tree%d", depth), Fn: startFn(), Exited: true})
		if depth > 0 {
			var kids sync.WaitGroup
			spawnTree(t, depth-1, me.Goid, &kids)
			spawnTree(t, depth-1, me.Goid, &kids)
			kids.Wait()
		}
	}()
}

func blockers(t *Truth) {
	var wg sync.WaitGroup

	c := make(chan int)
	blocker(t, &wg, "chanrecv", func() { <-c }, func() { c <- 1 }, "chan receive")
	blocker(t, &wg, "chansend", func() { c <- 1 }, func() { <-c }, "chan send")
	a, b := make(chan int), make(chan int)
	blocker(t, &wg, "select", func() {
		select {
		case <-a:
		case <-b:
		}
	}, func() { b <- 1 }, "select")

	var mu sync.Mutex
	mu.Lock()
	blocker(t, &wg, "mutex", func() { mu.Lock(); mu.Unlock() }, mu.Unlock, "sync.Mutex.Lock")

	var cmu sync.Mutex
	cond := sync.NewCond(&cmu)
	ready := false
	blocker(t, &wg, "cond", func() {
		cmu.Lock()
		for !ready {
			cond.Wait()
		}
		cmu.Unlock()
	}, func() { cmu.Lock(); ready = true; cond.Broadcast(); cmu.Unlock() }, "sync.Cond.Wait")

	var inner sync.WaitGroup
	inner.Add(1)
	blocker(t, &wg, "waitgroup", inner.Wait, inner.Done, "sync.WaitGroup.Wait", "semacquire")

	// sleeps until it has been seen sleeping (a single short sleep could end unseen)
	var woken atomic.Bool
	blocker(t, &wg, "sleep", func() {
		for !woken.Load() {
			time.Sleep(2 * time.Millisecond)
		}
	}, func() { woken.Store(true) }, "sleep")

	// Loopback TCP: a server blocked in Accept, then in Read.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	conns := make(chan net.Conn, 1)
	var srv *G
	srvDone := make(chan bool)
	parent := goid()
	wg.Add(1)
	ids := make(chan *G)
	go func() {
		defer wg.Done()
		g := t.add(&G{Goid: goid(), Parent: parent, Role: "netio", Fn: startFn(), Exited: true})
		ids <- g
		conn, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		conns <- conn
		buf := make([]byte, 4)
		if _, err := conn.Read(buf); err != nil {
			panic(err)
		}
		conn.Close()
		close(srvDone)
	}()
	srv = <-ids
	srv.Waits = append(srv.Waits, parkedAs(srv.Goid, "IO wait"))
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	<-conns
	srv.Waits = append(srv.Waits, parkedAs(srv.Goid, "IO wait"))
	cl.Write([]byte("ping"))
	<-srvDone
	cl.Close()
	ln.Close()

	wg.Wait()
}

func leaks(t *Truth) {
	parent := goid()
	for _, l := range []struct {
		role   string
		block  func()
		reason string
	}{
		{"leak-chanrecv", func() { <-make(chan int) }, "chan receive"},
		{"leak-select", func() { select {} }, "select (no cases)"},
		{"leak-nilchan", func() {
			var c chan int
			<-c
		}, "chan receive (nil chan)"},
	} {
		ids := make(chan *G)
		block := l.block
		role := l.role
		go func() {
			g := t.add(&G{Goid: goid(), Parent: parent, Role: role, Fn: startFn(), Leaked: true})
			ids <- g
			block()
		}()
		g := <-ids
		g.Waits = append(g.Waits, parkedAs(g.Goid, l.reason))
	}
}

// syscalls makes exactly n write system calls from one goroutine that does nothing else.
func syscalls(t *Truth, n int) {
	fd, err := syscall.Open("/dev/null", syscall.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	parent := goid()
	done := make(chan *G)
	buf := []byte("x")
	go func() {
		g := &G{Goid: goid(), Parent: parent, Role: "syscalls", Exited: true, Syscalls: n}
		g.Fn = startFn()
		for i := 0; i < n; i++ {
			syscall.Write(fd, buf)
		}
		done <- g
	}()
	t.add(<-done)
	syscall.Close(fd)
}

// Allocation types: tiny (noscan, < 16 B), small noscan, small scan without a malloc header
// (<= 512 B), small scan with a header, large.
type tinyT struct{ a uint64 }
type noscanT struct{ a [6]uint64 }
type scanT struct {
	p *int
	a [5]uint64
}
type headerT struct {
	p *int
	a [100]uint64
}
type largeT struct{ a [5000]uint64 }

var (
	sinkTiny   *tinyT
	sinkNoscan *noscanT
	sinkScan   *scanT
	sinkHeader *headerT
	sinkLarge  *largeT
	sinkSlice  []scanT
)

//go:noinline
func allocTiny() { sinkTiny = new(tinyT) }

//go:noinline
func allocNoscan() { sinkNoscan = new(noscanT) }

//go:noinline
func allocScan() { sinkScan = new(scanT) }

//go:noinline
func allocHeader() { sinkHeader = new(headerT) }

//go:noinline
func allocLarge() { sinkLarge = new(largeT) }

//go:noinline
func allocSlice(n int) { sinkSlice = make([]scanT, n) }

func allocs(t *Truth, n int) {
	parent := goid()
	done := make(chan []Alloc)
	go func() {
		me := goid()
		t.add(&G{Goid: me, Parent: parent, Role: "allocs", Fn: startFn(), Exited: true})
		var out []Alloc
		run := func(typ string, size uint64, count int, f func()) {
			for i := 0; i < count; i++ {
				f()
			}
			out = append(out, Alloc{Type: typ, Size: size, Count: uint64(count), Goid: me})
		}
		run("main.tinyT", 8, n, allocTiny)
		run("main.noscanT", 48, n, allocNoscan)
		run("main.scanT", 48, n, allocScan)
		run("main.headerT", 808, n/5, allocHeader)
		run("main.largeT", 40000, n/50, allocLarge)
		// make([]scanT, 7): one allocation of 7*48 bytes, typed by the element type
		run("main.scanT", 7*48, n/10, func() { allocSlice(7) })
		done <- out
	}()
	t.Allocs = <-done
}

// spin keeps a goroutine busy in a loop without calls while GCs run, so that the GC has to
// preempt it asynchronously to scan its stack.
func spin(t *Truth) {
	parent := goid()
	stop := make(chan bool)
	done := make(chan bool)
	var flag int32
	go func() {
		t.add(&G{Goid: goid(), Parent: parent, Role: "spin", Fn: startFn(), Exited: true})
		x := 0
		for {
			for i := 0; i < 1000000; i++ {
				x += i
			}
			select {
			case <-stop:
				flag = int32(x)
				close(done)
				return
			default:
			}
		}
	}()
	runtime.GC()
	t.GCCalls++
	runtime.GC()
	t.GCCalls++
	close(stop)
	<-done
	_ = flag
}

func main() {
	truthPath := flag.String("truth", "", "write the JSON ground truth to this file (default stderr)")
	waitFile := flag.String("wait-file", "", "wait until this file exists before starting (for attaching)")
	nAllocs := flag.Int("allocs", 1000, "allocations per type")
	nSys := flag.Int("syscalls", 100, "write system calls")
	execSelf := flag.Bool("exec-self", false, "run a copy of this program first, and wait for it")
	hold := flag.Duration("hold", 0, "keep running this long after writing the truth")
	crash := flag.String("crash", "", "after writing the truth: panic, or kill (SIGKILL itself)")
	flag.Parse()

	if *execSelf {
		child := exec.Command(os.Args[0], "-allocs", "10", "-syscalls", "10", "-truth", os.DevNull)
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Run(); err != nil {
			panic(fmt.Sprintf("child: %v", err))
		}
	}

	if *waitFile != "" {
		for {
			if _, err := os.Stat(*waitFile); err == nil {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	t := &Truth{Pid: os.Getpid(), GoVersion: runtime.Version(), MainGoid: goid()}

	var wg sync.WaitGroup
	spawnTree(t, 3, t.MainGoid, &wg)
	wg.Wait()

	blockers(t)
	syscalls(t, *nSys)
	allocs(t, *nAllocs)
	coro(t)
	cgoCallbacks(t, 3)
	spin(t)
	leaks(t)

	// Every goroutine that should have exited has exited (gdestroy ran) once only main and
	// the leaked ones are left.
	want := 1
	for _, g := range t.Goroutines {
		if g.Leaked {
			want++
		}
	}
	for i := 0; runtime.NumGoroutine() != want; i++ {
		if i > 20000 {
			panic(fmt.Sprintf("%d goroutines left, want %d", runtime.NumGoroutine(), want))
		}
		time.Sleep(100 * time.Microsecond)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.NumGC = ms.NumGC

	out, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		panic(err)
	}
	out = append(out, '\n')
	if *truthPath != "" {
		err = os.WriteFile(*truthPath, out, 0o644)
	} else {
		_, err = os.Stderr.Write(out)
	}
	if err != nil {
		panic(err)
	}
	time.Sleep(*hold)
	switch *crash {
	case "panic":
		panic("gtruth: crashing as asked")
	case "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
