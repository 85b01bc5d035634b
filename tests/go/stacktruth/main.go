// stacktruth starts goroutines that block until the program exits, each reached in a different
// way, and writes Go's own traceback of every goroutine (runtime.Stack(buf, true)) once all of
// them are blocked, for checking the names and stacks `xgotop record --stacks` records against
// the ones Go prints (tests/stacks.test).
//
// How the goroutines start: deep recursion through inlined and non-inlined helpers; `go f(x, y)`
// with arguments (a compiler wrapper runs f); `go obj.method(x)`; `go v.M()` with v an interface
// and with v concrete; a method value `f := v.M; go f()`; `go fnvar(x)` through a func
// variable; a generic function and a generic method; closures nested two deep; a go statement
// reached through an inlined call; `go f(ch)` where f is inlined into the wrapper; a go
// statement at the bottom of a deep stack; in cgo builds, a call into Go from a C thread.
// How they block: chan receive, chan receive on a nil chan, chan send, select,
// sync.Mutex.Lock, sync.WaitGroup.Wait, time.Sleep, a TCP accept (IO wait), sync.Cond.Wait.
//
// Usage: stacktruth -out FILE [-marks FILE] [-trace FILE] [-hold DURATION]
//
// After writing FILE it prints "ready" on stdout and exits 0 when stdin reaches its end or after
// DURATION (default 3s). -trace runs runtime/trace for the whole run. Just before and just after
// taking the traceback it starts, and waits for, a goroutine that returns at once
// (main.markBeforeDump, main.markAfterDump): in a trace, the state a goroutine was in between
// the creation of the two is the state the traceback shows. -marks writes their goids as
// "before N" and "after N" lines.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ours is the set of goroutines this program started to block, by goid.
var (
	oursMu sync.Mutex
	ours   = map[uint64]bool{}
)

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

// arrive registers the calling goroutine as one that is about to block for good.
func arrive() {
	id := goid()
	oursMu.Lock()
	ours[id] = true
	oursMu.Unlock()
}

// Blocking primitives. Small enough to be inlined into their callers.

func recvOn(ch chan int) { <-ch }

func sendOn(ch chan int) { ch <- 1 }

// recurse descends n levels, then blocks. Every third level goes through hop (inlined into
// recurse), every third through hopNoinline (a frame of its own), the rest call recurse
// directly: a deep stack that mixes inlined and real frames.
func recurse(n int, block func()) int {
	if n == 0 {
		block()
		return 0
	}
	switch n % 3 {
	case 0:
		return hop(n, block) + 1
	case 1:
		return hopNoinline(n, block) + 1
	}
	return recurse(n-1, block) + 1
}

func hop(n int, block func()) int { return recurse(n-1, block) }

//go:noinline
func hopNoinline(n int, block func()) int { return recurse(n-1, block) }

// pair is started with arguments: `go pair(x, y)`.
//
//go:noinline
func pair(ch chan int, v int) {
	arrive()
	ch <- v
}

type waiter struct{ a, b chan int }

//go:noinline
func (w *waiter) selectOn(extra chan int) {
	arrive()
	select {
	case <-w.a:
	case <-w.b:
	case <-extra:
	}
}

// Blocker is called through an interface.
type Blocker interface{ Block() }

type mutexBlocker struct{ mu *sync.Mutex }

// asBlocker hides the dynamic type from the compiler, which would call a known one directly.
//
//go:noinline
func asBlocker(b Blocker) Blocker { return b }

//go:noinline
func (m mutexBlocker) Block() {
	arrive()
	m.mu.Lock()
}

type condBlocker struct {
	mu   sync.Mutex
	cond *sync.Cond
}

//go:noinline
func (c *condBlocker) Block() {
	c.mu.Lock()
	arrive()
	for {
		c.cond.Wait()
	}
}

type wgBlocker struct{ wg *sync.WaitGroup }

//go:noinline
func (w *wgBlocker) Wait() {
	arrive()
	w.wg.Wait()
}

// sleeper is called through the func variable sleepVar.
//
//go:noinline
func sleeper(d time.Duration) {
	arrive()
	time.Sleep(d)
}

var sleepVar func(time.Duration)

// Process is a generic function: its traceback name is main.Process[...].
//
//go:noinline
func Process[T any](ch chan T) {
	arrive()
	<-ch
}

// Box is a generic type with a method: main.(*Box[...]).Run.
type Box[T any] struct{ ch chan T }

//go:noinline
func (b *Box[T]) Run() {
	arrive()
	<-b.ch // nil: blocks as "chan receive (nil chan)"
}

// nested starts a goroutine that starts another one: closures two deep.
//
//go:noinline
func nested(ch chan int, wg *sync.WaitGroup) {
	go func() {
		go func() {
			arrive()
			wg.Wait()
		}()
		arrive()
		<-ch
	}()
}

// acceptLoop blocks in Accept on a loopback listener.
//
//go:noinline
func acceptLoop(ln net.Listener) {
	arrive()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// spawnAcceptor holds the go statement; startServer is inlined into its caller, so the
// creator's stack holds an inlined frame.
//
//go:noinline
func spawnAcceptor(ln net.Listener) { go acceptLoop(ln) }

func startServer(ln net.Listener) { spawnAcceptor(ln) }

// waitOn is inlined into the wrapper `go waitOn(ch)` makes: the goroutine's only frame of its
// own is inlined.
func waitOn(ch chan int) {
	arrive()
	<-ch
}

// spawnDeep starts a goroutine from the bottom of a deep stack.
//
//go:noinline
func spawnDeep(n int, ch chan int) {
	if n > 0 {
		spawnDeep(n-1, ch)
		return
	}
	go func() {
		arrive()
		sendOn(ch)
	}()
}

//go:noinline
func markBeforeDump(done chan uint64) { done <- goid() }

//go:noinline
func markAfterDump(done chan uint64) { done <- goid() }

// start starts every blocking goroutine, returns how many.
func start() int {
	n := 0
	never := make(chan int)

	go recurse(30, func() { arrive(); recvOn(never) })
	n++

	go pair(make(chan int), 42)
	n++

	w := &waiter{make(chan int), make(chan int)}
	go w.selectOn(never)
	n++

	var mu sync.Mutex
	mu.Lock()
	b := asBlocker(mutexBlocker{&mu})
	go b.Block() // through the interface
	n++

	cb := &condBlocker{}
	cb.cond = sync.NewCond(&cb.mu)
	go cb.Block() // concrete
	n++

	var wg sync.WaitGroup
	wg.Add(1)
	wb := &wgBlocker{&wg}
	f := wb.Wait // a method value
	go f()
	n++

	sleepVar = sleeper
	go sleepVar(time.Hour)
	n++

	go Process[int](make(chan int))
	n++

	go (&Box[string]{}).Run()
	n++

	nested(never, &wg)
	n += 2

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	startServer(ln)
	n++

	go waitOn(never)
	n++

	spawnDeep(20, make(chan int))
	n++

	if cgoCallbackBlock() {
		n++
	}
	return n
}

// parseHeader reads a goroutine header line of a traceback, "goroutine 7 [chan receive]:",
// into the goid and the wait reason or state.
func parseHeader(line string) (uint64, string, bool) {
	if !strings.HasPrefix(line, "goroutine ") || !strings.HasSuffix(line, "]:") {
		return 0, "", false
	}
	rest := line[len("goroutine "):]
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 {
		return 0, "", false
	}
	id, err := strconv.ParseUint(rest[:sp], 10, 64)
	if err != nil {
		return 0, "", false
	}
	st := strings.TrimSuffix(strings.TrimPrefix(rest[sp+1:], "["), "]:")
	if c := strings.IndexByte(st, ','); c >= 0 {
		st = st[:c]
	}
	return id, st, true
}

// stackAll is runtime.Stack(buf, true) with a buffer large enough.
func stackAll() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// allBlocked tells whether every goroutine in ours is parked (not running, runnable or in a
// system call) in the traceback.
func allBlocked(tb []byte) bool {
	state := map[uint64]string{}
	for _, line := range strings.Split(string(tb), "\n") {
		if id, st, ok := parseHeader(line); ok {
			state[id] = st
		}
	}
	oursMu.Lock()
	defer oursMu.Unlock()
	for id := range ours {
		switch st, ok := state[id]; {
		case !ok, st == "running", st == "runnable", st == "syscall", st == "":
			return false
		}
	}
	return true
}

func main() {
	out := flag.String("out", "", "write runtime.Stack(all) to this file")
	tracePath := flag.String("trace", "", "run runtime/trace into this file")
	marks := flag.String("marks", "", "write the goids of the two marker goroutines to this file")
	hold := flag.Duration("hold", 3*time.Second, "exit this long after \"ready\" if stdin stays open")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: stacktruth -out FILE [-marks FILE] [-trace FILE] [-hold DURATION]")
		os.Exit(2)
	}
	var tf *os.File
	if *tracePath != "" {
		var err error
		if tf, err = os.Create(*tracePath); err != nil {
			panic(err)
		}
		if err := trace.Start(tf); err != nil {
			panic(err)
		}
	}

	n := start()
	var tb []byte
	for i := 0; ; i++ {
		oursMu.Lock()
		arrived := len(ours)
		oursMu.Unlock()
		if arrived == n {
			if tb = stackAll(); allBlocked(tb) {
				break
			}
		}
		if i > 10000 {
			panic(fmt.Sprintf("%d of %d goroutines blocked after 10 s", arrived, n))
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan uint64)
	go markBeforeDump(done)
	before := <-done
	tb = stackAll()
	go markAfterDump(done)
	after := <-done
	if !allBlocked(tb) {
		panic("a goroutine woke up")
	}
	if err := os.WriteFile(*out, tb, 0o644); err != nil {
		panic(err)
	}
	if *marks != "" {
		if err := os.WriteFile(*marks, []byte(fmt.Sprintf("before %d\nafter %d\n", before, after)), 0o644); err != nil {
			panic(err)
		}
	}
	os.Stdout.WriteString("ready\n")

	eof := make(chan bool)
	go func() {
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(eof)
	}()
	select {
	case <-eof:
	case <-time.After(*hold):
	}
	if tf != nil {
		trace.Stop()
		if err := tf.Close(); err != nil {
			panic(err)
		}
	}
	os.Exit(0)
}
