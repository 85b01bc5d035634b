// parked keeps goroutines blocked for good, each two calls below its start function (start ->
// middle -> the blocking function) on a line of its own, in every common way: a channel receive
// and send, a select, sync.Mutex, sync.WaitGroup, sync.Cond, time.Sleep, an accept on a TCP
// socket (IO wait), a read(2) from a pipe (a system call), a blocking function the compiler
// inlines into its caller, a goroutine started on a closure, and one 150 calls deep with large
// frames (Go's tracebacks elide the middle of it).
//
// It prints one JSON line once all are blocked: "ready", its pid, and for each goroutine its
// goid, kind and the function, file and line where it blocks (from runtime.CallersFrames, as
// Go's tracebacks name them). Then each line "dump" on its standard input is answered by one
// JSON line {"stacks": runtime.Stack(all goroutines)}; it exits when its standard input closes.
//
// With -n N it parks N goroutines instead (a benchmark's target), 3 to 10 calls deep, on a
// channel receive, a select or a sync.Mutex, prints "ready", its pid and N, and waits for the
// end of its standard input.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type spot struct {
	Kind string `json:"kind"`
	Goid uint64 `json:"goid"`
	Fn   string `json:"fn"`
	File string `json:"file"`
	Line int    `json:"line"`
}

var (
	spots = make(chan spot)
	never = make(chan int) // nothing is ever sent on these
	other = make(chan int)
	full  = make(chan int) // nothing is ever received from this
	mu    sync.Mutex
	wg    sync.WaitGroup
	cmu   sync.Mutex
	cond  = sync.NewCond(&cmu)
	pipeR int
	lis   net.Listener
)

func goid() uint64 {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	n, _ := strconv.ParseUint(strings.Fields(s)[1], 10, 64)
	return n
}

// next says that the line after its call in the calling function is where the goroutine
// blocks. It must not be inlined itself: it reports its caller.
//
//go:noinline
func next(kind string) {
	pcs := make([]uintptr, 1)
	runtime.Callers(2, pcs)
	f, _ := runtime.CallersFrames(pcs).Next()
	spots <- spot{kind, goid(), f.Function, f.File, f.Line + 1}
}

//go:noinline
func recv() {
	next("chan receive")
	<-never
}

//go:noinline
func send() {
	next("chan send")
	full <- 1
}

//go:noinline
func sel() {
	next("select")
	select {
	case <-never:
	case <-other:
	}
}

//go:noinline
func lock() {
	next("sync.Mutex.Lock")
	mu.Lock()
}

//go:noinline
func wait() {
	next("sync.WaitGroup.Wait")
	wg.Wait()
}

//go:noinline
func condWait() {
	cmu.Lock()
	next("sync.Cond.Wait")
	cond.Wait()
}

//go:noinline
func sleep() {
	next("sleep")
	time.Sleep(time.Hour)
}

//go:noinline
func accept() {
	next("IO wait")
	lis.Accept()
}

//go:noinline
func read() {
	var b [1]byte
	next("syscall")
	syscall.Read(pipeR, b[:])
}

// inlined into middle (no noinline): Go's traceback shows it as a frame of its own
func recvInlined() {
	next("chan receive (inlined)")
	<-other
}

//go:noinline
func deep(n int, pad [64]int64) int64 {
	if n == 0 {
		next("chan receive (deep)")
		<-never
	}
	pad[n%64]++
	return deep(n-1, pad) + pad[3]
}

//go:noinline
func middle(f func()) {
	f()
}

//go:noinline
func start(f func()) {
	middle(f)
}

//go:noinline
func middleInlined() {
	recvInlined()
}

//go:noinline
func startInlined() {
	middleInlined()
}

//go:noinline
func startDeep() {
	deep(150, [64]int64{})
}

// bench mode
//
//go:noinline
func park(kind int) {
	switch kind % 3 {
	case 0:
		<-never
	case 1:
		select {
		case <-never:
		case <-other:
		}
	case 2:
		mu.Lock()
	}
}

//go:noinline
func descend(depth, kind int, pad [8]int64) int64 {
	if depth == 0 {
		wg.Done()
		park(kind)
		return pad[0]
	}
	pad[depth%8]++
	return descend(depth-1, kind, pad) + pad[1]
}

func bench(n int) {
	wg.Add(n)
	for i := 0; i < n; i++ {
		go descend(2+i%8, i, [8]int64{})
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // the last ones to say so park
	json.NewEncoder(os.Stdout).Encode(map[string]any{"ready": true, "pid": os.Getpid(), "parked": n})
	bufio.NewReader(os.Stdin).ReadString(0)
}

func main() {
	n := flag.Int("n", 0, "park this many goroutines (benchmark mode)")
	flag.Parse()
	mu.Lock() // never unlocked: Lock parks for good
	if *n > 0 {
		bench(*n)
		return
	}
	wg.Add(1) // never done
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		panic(err)
	}
	pipeR = fds[0]
	var err error
	if lis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		panic(err)
	}
	fs := []func(){recv, send, sel, lock, wait, condWait, sleep, accept, read}
	for _, f := range fs {
		go start(f)
	}
	go startInlined()
	go startDeep()
	go func() {
		middle(recv)
	}()
	var got []spot
	for range fs {
		got = append(got, <-spots)
	}
	got = append(got, <-spots, <-spots, <-spots)
	time.Sleep(200 * time.Millisecond) // each blocks moments after saying so
	out := json.NewEncoder(os.Stdout)
	out.Encode(map[string]any{"ready": true, "pid": os.Getpid(), "goroutines": got})
	in := bufio.NewScanner(os.Stdin)
	buf := make([]byte, 1<<20)
	for in.Scan() {
		if in.Text() == "dump" {
			out.Encode(map[string]any{"stacks": string(buf[:runtime.Stack(buf, true)])})
		}
	}
}
