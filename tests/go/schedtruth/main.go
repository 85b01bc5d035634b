// schedtruth is a Go program that knows what the sched events of `xgotop record` should say of
// it, for tests/sched.test. With the GC run once (so that its worker goroutines exist) and then
// turned off, it reads at quiet marks what the runtime says of itself:
//
//   - runtime.NumGoroutine(), runtime.GOMAXPROCS(0), pprof.Lookup("threadcreate").Count()
//     (no thread exits here, so that is the threads the runtime has), and from Go 1.26 the
//     runtime/metrics value /sched/goroutines-created:goroutines;
//   - the goroutines it started since the previous mark (some exit, some stay blocked);
//
// each mark followed by a quiet period (the program sleeps; nothing starts or exits) in which a
// reader of the runtime's memory sees the same figures. Between marks it also lowers
// GOMAXPROCS to 1 (Ps given up keep their goroutine id caches) and, at one mark, has K
// goroutines spinning on the one P, so that K of them wait in run queues while one runs.
//
// Usage: schedtruth [-truth FILE] [-quiet DUR] [-spin K]
package main

import (
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Mark is what the runtime said at one mark; a quiet period of QuietNs follows Mono.
type Mark struct {
	Name       string `json:"name"`
	Mono       int64  `json:"mono"` // CLOCK_MONOTONIC ns when the figures were read
	Alive      int    `json:"alive"`
	Gomaxprocs int    `json:"gomaxprocs"`
	Threads    int    `json:"threads"`
	Created    uint64 `json:"created"`  // runtime/metrics (Go 1.26+), 0 when it has none
	Started    int    `json:"started"`  // goroutines started since the previous mark
	Spinning   int    `json:"spinning"` // goroutines spinning on GOMAXPROCS 1 through the quiet period
}

type Truth struct {
	Version string `json:"version"`
	QuietNs int64  `json:"quiet_ns"`
	Marks   []Mark `json:"marks"`
}

func mono() int64 {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Nano()
}

func created() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

var (
	truth   Truth
	quiet   time.Duration
	started int
	block   = make(chan struct{})
)

func mark(name string, spinning int) {
	m := Mark{Name: name, Alive: runtime.NumGoroutine(), Gomaxprocs: runtime.GOMAXPROCS(0),
		Threads: pprof.Lookup("threadcreate").Count(), Created: created(), Started: started,
		Spinning: spinning}
	m.Mono = mono()
	truth.Marks = append(truth.Marks, m)
	started = 0
	time.Sleep(quiet)
}

// start starts n goroutines: every third stays blocked until the end, the others exit, and
// start returns when they have.
func start(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			go func() { <-block }()
			continue
		}
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
	started += n
	// the exited ones are back on the free lists once they have run goexit
	time.Sleep(10 * time.Millisecond)
}

func main() {
	out := flag.String("truth", "", "write the truth (JSON) to this file")
	flag.DurationVar(&quiet, "quiet", 500*time.Millisecond, "quiet period after each mark")
	spin := flag.Int("spin", 4, "goroutines spinning at the run-queue mark")
	flag.Parse()
	truth.Version = runtime.Version()
	truth.QuietNs = int64(quiet)

	runtime.GC()
	debug.SetGCPercent(-1)
	procs := runtime.GOMAXPROCS(0)

	mark("start", 0)
	start(30)
	mark("started 30", 0)
	start(100)
	mark("started 100", 0)
	runtime.GOMAXPROCS(1)
	mark("gomaxprocs 1", 0)

	// spin+1 goroutines spinning on one P: one runs, spin wait in run queues
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i <= *spin; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
			}
		}()
	}
	started += *spin + 1
	time.Sleep(20 * time.Millisecond)
	mark("spinning", *spin+1)
	stop.Store(true)
	wg.Wait()
	time.Sleep(10 * time.Millisecond)

	runtime.GOMAXPROCS(procs)
	mark("gomaxprocs back", 0)
	start(20)
	mark("started 20", 0)

	if *out != "" {
		b, _ := json.Marshal(&truth)
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			panic(err)
		}
	}
}
