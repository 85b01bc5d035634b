// deepstack recurses to known depths through a function that is never inlined, so that the
// stacks xgotop captures can be checked frame by frame: for each depth D, a goroutine started
// as `go run()` (no argument, so no compiler wrapper frame that a reader might elide) calls
// main.worker, which calls main.rec D times (D main.rec frames), and at the bottom does one of
//
//   - allocate: -allocs N objects of main.obj, each escaping to a global;
//   - block: a channel receive, until every blocking goroutine is parked (the channel is
//     closed once runtime.Stack shows them all waiting);
//   - spin: burn CPU for -spin DUR (production mode's CPU samples), one depth after the other;
//   - churn: for -churn DUR, allocate 64 KiB buffers, so that the goroutine spends much of its
//     time on the system stack (GC assists, large allocations) and the GC's workers run.
//
// In that order; each phase's goroutines run one at a time, but for the blocking ones, which
// stay parked together. It writes what it did as JSON to
// -truth FILE: each goroutine's id, depth and phase, and runtime.MemStats.Mallocs after minus
// before the allocation phase (every heap allocation the program made meanwhile).
//
// Usage: deepstack [-truth FILE] [-depths 20,40,63,64,65,100] [-allocs N] [-spin DUR]
//
//	[-churn DUR] [-churn-depth 20]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type obj struct{ a [6]uint64 }

var sink *obj

// Worker is one goroutine of a phase.
type Worker struct {
	Goid  uint64 `json:"goid"`
	Depth int    `json:"depth"` // main.rec frames on its stack
	Phase string `json:"phase"` // "alloc", "block", "spin", "churn"
}

// Truth is what deepstack writes.
type Truth struct {
	Pid          int      `json:"pid"`
	GoVersion    string   `json:"go_version"`
	Workers      []Worker `json:"workers"`
	Allocs       int      `json:"allocs"`        // main.obj allocations per alloc worker
	MallocsDelta uint64   `json:"mallocs_delta"` // MemStats.Mallocs across the alloc phase
}

const (
	phaseAlloc = iota
	phaseBlock
	phaseSpin
	phaseChurn
)

var (
	nallocs  int
	spinFor  time.Duration
	churnFor time.Duration
	release  = make(chan struct{})
	spinSink uint64
	bufSink  []byte
)

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

//go:noinline
func allocate() {
	for i := 0; i < nallocs; i++ {
		sink = new(obj)
	}
}

//go:noinline
func block() {
	<-release
}

//go:noinline
func spin() {
	x := spinSink
	for end := time.Now().Add(spinFor); time.Now().Before(end); {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	spinSink = x
}

//go:noinline
func churn() {
	for end := time.Now().Add(churnFor); time.Now().Before(end); {
		for i := 0; i < 16; i++ {
			bufSink = make([]byte, 64<<10)
		}
	}
}

// rec calls itself until n main.rec frames are on the stack, then does the phase's work.
//
//go:noinline
func rec(n, phase int) {
	if n > 1 {
		rec(n-1, phase)
		return
	}
	switch phase {
	case phaseAlloc:
		allocate()
	case phaseBlock:
		block()
	case phaseSpin:
		spin()
	case phaseChurn:
		churn()
	}
}

//go:noinline
func worker(depth, phase int, id chan<- uint64) {
	id <- goid()
	rec(depth, phase)
}

// A job is what run does: the depth, the phase, where to send its goroutine id and where to
// say it is done.
type job struct {
	depth, phase int
	id           chan<- uint64
	done         chan<- struct{}
}

var jobs = make(chan job)

// run is a goroutine's function: its stack is run, main.worker, main.rec..., runtime.goexit.
//
//go:noinline
func run() {
	j := <-jobs
	worker(j.depth, j.phase, j.id)
	j.done <- struct{}{}
}

// parked says whether every goroutine in ids is blocked in a channel receive.
func parked(ids []uint64) bool {
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	for _, id := range ids {
		if !strings.Contains(dump, "goroutine "+strconv.FormatUint(id, 10)+" [chan receive") {
			return false
		}
	}
	return true
}

func main() {
	truthPath := flag.String("truth", "", "write what the program did here as JSON")
	depthList := flag.String("depths", "20,40,63,64,65,100", "main.rec frames of each goroutine")
	flag.IntVar(&nallocs, "allocs", 10, "objects each alloc goroutine allocates")
	flag.DurationVar(&spinFor, "spin", 0, "time each spin goroutine burns CPU (0: no spin phase)")
	flag.DurationVar(&churnFor, "churn", 0, "time the churn goroutine allocates (0: no churn phase)")
	churnDepth := flag.Int("churn-depth", 20, "main.rec frames of the churn goroutine")
	flag.Parse()

	var depths []int
	for _, f := range strings.Split(*depthList, ",") {
		d, err := strconv.Atoi(f)
		if err != nil || d < 1 {
			panic("bad depth " + f)
		}
		depths = append(depths, d)
	}
	t := &Truth{Pid: os.Getpid(), GoVersion: runtime.Version(), Allocs: nallocs}
	phases := []int{phaseAlloc, phaseBlock}
	if spinFor > 0 {
		phases = append(phases, phaseSpin)
	}
	if churnFor > 0 {
		phases = append(phases, phaseChurn)
	}
	names := []string{"alloc", "block", "spin", "churn"}
	for _, phase := range phases {
		depths := depths
		if phase == phaseChurn {
			depths = []int{*churnDepth}
		}
		var before, after runtime.MemStats
		var blocked []uint64
		done := make(chan struct{})
		if phase == phaseAlloc {
			runtime.ReadMemStats(&before)
		}
		for _, d := range depths {
			id := make(chan uint64)
			go run()
			jobs <- job{depth: d, phase: phase, id: id, done: done}
			g := <-id
			t.Workers = append(t.Workers, Worker{Goid: g, Depth: d, Phase: names[phase]})
			if phase == phaseBlock {
				blocked = append(blocked, g)
				continue
			}
			<-done
		}
		if phase == phaseAlloc {
			runtime.ReadMemStats(&after)
			t.MallocsDelta = after.Mallocs - before.Mallocs
		}
		if phase == phaseBlock {
			for !parked(blocked) {
				time.Sleep(time.Millisecond)
			}
			close(release)
			for range blocked {
				<-done
			}
		}
	}
	if *truthPath != "" {
		b, err := json.Marshal(t)
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(*truthPath, b, 0o644); err != nil {
			panic(err)
		}
	}
}
