// prodtruth is a Go program that knows what production-mode `xgotop record` should see of it,
// for tests/prodmode.test. In three phases:
//
//   - CPU: goroutines locked to their threads spin with known duty cycles (by default 50%,
//     30% and 20% of a core) in busy and idle slices of random lengths (so nothing aliases
//     with a sampling clock); each measures its thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
//     which is the truth for CPU samples.
//   - Allocation: runtime.MemStats before and after goroutines that each allocate one type of
//     object of known size a known number of times; the CLOCK_MONOTONIC times just after the
//     two ReadMemStats calls, each followed by a quiet period (no allocation) so that a reader
//     of the runtime's heap figures sees the same totals.
//   - Blocked: goroutines parked on a channel receive, a select, a mutex, a condition
//     variable and a sleep until the program exits, each with the wait reason runtime.Stack
//     shows for it.
//
// It calls runtime.MemProfile, so the runtime samples allocations for its heap profile (at
// runtime.MemProfileRate) as in a service that imports net/http/pprof.
//
// Usage: prodtruth [-truth FILE] [-wait-file FILE] [-cpu DUR] [-duty 50,30,20] [-alloc MB]
//
//	[-quiet DUR] [-hold DUR]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Spinner is one CPU-phase goroutine.
type Spinner struct {
	Goid  uint64  `json:"goid"`
	Duty  float64 `json:"duty"`   // the busy fraction it aimed at
	CPUNs int64   `json:"cpu_ns"` // its thread's CPU time while it ran
}

// Allocator is one allocation-phase goroutine: Count allocations of Size bytes of Type, each
// by the function Fn.
type Allocator struct {
	Goid  uint64 `json:"goid"`
	Type  string `json:"type"`
	Size  uint64 `json:"size"`
	Count uint64 `json:"count"`
	Fn    string `json:"fn"`
}

// Blocked is a goroutine parked until the end.
type Blocked struct {
	Goid   uint64 `json:"goid"`
	Role   string `json:"role"`
	Reason string `json:"reason"` // as runtime.Stack prints it
}

// Truth is what prodtruth writes.
type Truth struct {
	Pid        int         `json:"pid"`
	GoVersion  string      `json:"go_version"`
	CPUWallNs  int64       `json:"cpu_wall_ns"` // CPU phase: from the spinners' start to the last one's end
	Spinners   []Spinner   `json:"spinners"`
	Allocators []Allocator `json:"allocators"`
	// runtime.MemStats.TotalAlloc and Mallocs after minus before the allocation phase, and the
	// CLOCK_MONOTONIC ns just after each ReadMemStats (a quiet period of QuietNs follows each)
	TotalAllocDelta uint64 `json:"total_alloc_delta"`
	MallocsDelta    uint64 `json:"mallocs_delta"`
	MemT0           int64  `json:"mem_t0_mono"`
	MemT1           int64  `json:"mem_t1_mono"`
	QuietNs         int64  `json:"quiet_ns"`
	MemProfileRate  int    `json:"mem_profile_rate"`
	// runtime.MemProfile's record count at the end: calling it keeps the runtime's memory
	// profiling on (the linker turns it off in programs that cannot reach runtime.MemProfile)
	MemProfileRecords int       `json:"mem_profile_records"`
	Blocked           []Blocked `json:"blocked"`
}

func clock(id uintptr) int64 {
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(e)
	}
	return ts.Nano()
}

func mono() int64      { return clock(1) } // CLOCK_MONOTONIC
func threadCPU() int64 { return clock(3) } // CLOCK_THREAD_CPUTIME_ID

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

// parkedAs waits until goroutine id is parked as one of want, and returns that reason.
func parkedAs(id uint64, want ...string) string {
	prefix := fmt.Sprintf("goroutine %d [", id)
	buf := make([]byte, 1<<20)
	for i := 0; ; i++ {
		all := string(buf[:runtime.Stack(buf, true)])
		if at := strings.Index(all, prefix); at >= 0 {
			st := all[at+len(prefix):]
			st = st[:strings.IndexByte(st, ']')]
			if c := strings.Index(st, ","); c >= 0 {
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

var sink uint64

// spin keeps this goroutine's thread busy for about d.
func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := sink
	for time.Now().Before(end) {
		for i := 0; i < 200; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink = x
}

func cpuPhase(t *Truth, d time.Duration, duties []float64) {
	var wg sync.WaitGroup
	start := time.Now()
	t.Spinners = make([]Spinner, len(duties))
	for i, duty := range duties {
		wg.Add(1)
		go func(i int, duty float64) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			s := &t.Spinners[i]
			s.Goid, s.Duty = goid(), duty
			r := rand.New(rand.NewSource(int64(i) + 1))
			c0 := threadCPU()
			// busy and idle slices of random lengths, busy whenever the time spent busy
			// is behind duty x the time elapsed (so sleeping longer than asked does not
			// change the share)
			var busy time.Duration
			for el := time.Since(start); el < d; el = time.Since(start) {
				if float64(busy) < duty*float64(el) {
					t0 := time.Now()
					spin(time.Duration(2+r.Intn(7)) * time.Millisecond)
					busy += time.Since(t0)
				} else {
					time.Sleep(time.Duration(1+r.Intn(6)) * time.Millisecond)
				}
			}
			s.CPUNs = threadCPU() - c0
		}(i, duty)
	}
	wg.Wait()
	t.CPUWallNs = int64(time.Since(start))
}

// Allocation types: small scan objects, slices of medium scan objects (a malloc header from
// Go 1.22), noscan byte slices (typed uint8), large scan objects.
type small struct {
	p *int
	a [5]uint64
}
type medium struct {
	p *int
	a [24]uint64
}
type large struct {
	p *int
	a [8191]uint64
}

var (
	keepSmall  [64]*small
	keepMedium [64][]medium
	keepBytes  [64][]byte
	keepLarge  [4]*large
)

// One function per type, so that an allocation's stack says what it allocated.

//go:noinline
func allocSmall(i int) { keepSmall[i%64] = new(small) }

//go:noinline
func allocMedium(i int) { keepMedium[i%64] = make([]medium, 10) }

//go:noinline
func allocBytes(i int) { keepBytes[i%64] = make([]byte, 4096) }

//go:noinline
func allocLarge(i int) { keepLarge[i%4] = new(large) }

func allocPhase(t *Truth, mb int, quiet time.Duration) {
	var ms0, ms1 runtime.MemStats
	total := uint64(mb) << 20
	runtime.ReadMemStats(&ms0)
	t.MemT0 = mono()
	time.Sleep(quiet)

	kinds := []struct {
		typ  string
		size uint64
		f    func(i int)
	}{
		{"main.small", 48, allocSmall},
		{"main.medium", 10 * 200, allocMedium},
		{"uint8", 4096, allocBytes},
		{"main.large", 65536, allocLarge},
	}
	var wg sync.WaitGroup
	t.Allocators = make([]Allocator, len(kinds))
	for i, k := range kinds {
		wg.Add(1)
		go func(i int, typ string, size uint64, f func(int)) {
			defer wg.Done()
			a := &t.Allocators[i]
			a.Goid, a.Type, a.Size = goid(), typ, size
			a.Fn = runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
			a.Count = total / uint64(len(kinds)) / size
			for j := 0; j < int(a.Count); j++ {
				f(j)
			}
		}(i, k.typ, k.size, k.f)
	}
	wg.Wait()
	runtime.ReadMemStats(&ms1)
	t.MemT1 = mono()
	t.TotalAllocDelta = ms1.TotalAlloc - ms0.TotalAlloc
	t.MallocsDelta = ms1.Mallocs - ms0.Mallocs
	t.QuietNs = int64(quiet)
	t.MemProfileRate = runtime.MemProfileRate
	time.Sleep(quiet)
}

func block(t *Truth, role string, f func(), reasons ...string) {
	ids := make(chan uint64)
	go func() {
		ids <- goid()
		f()
	}()
	id := <-ids
	t.Blocked = append(t.Blocked, Blocked{Goid: id, Role: role, Reason: parkedAs(id, reasons...)})
}

func blocked(t *Truth) {
	block(t, "chanrecv", func() { <-make(chan int) }, "chan receive")
	block(t, "select", func() {
		select {
		case <-make(chan int):
		case <-make(chan bool):
		}
	}, "select")
	var mu sync.Mutex
	mu.Lock()
	block(t, "mutex", func() { mu.Lock() }, "sync.Mutex.Lock")
	cond := sync.NewCond(&sync.Mutex{})
	block(t, "cond", func() { cond.L.Lock(); cond.Wait() }, "sync.Cond.Wait")
	block(t, "sleep", func() { time.Sleep(time.Hour) }, "sleep")
}

func main() {
	truthPath := flag.String("truth", "", "write the JSON truth to this file (default stderr)")
	waitFile := flag.String("wait-file", "", "wait until this file exists before starting")
	cpu := flag.Duration("cpu", 3*time.Second, "length of the CPU phase")
	duty := flag.String("duty", "50,30,20", "busy percentage of each spinning goroutine")
	mb := flag.Int("alloc", 200, "MiB to allocate in the allocation phase")
	quiet := flag.Duration("quiet", 300*time.Millisecond, "quiet period after each ReadMemStats")
	hold := flag.Duration("hold", 0, "keep running this long after writing the truth")
	flag.Parse()

	if *waitFile != "" {
		for {
			if _, err := os.Stat(*waitFile); err == nil {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	t := &Truth{Pid: os.Getpid(), GoVersion: runtime.Version()}
	blocked(t)
	var duties []float64
	for _, f := range strings.Split(*duty, ",") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			panic(err)
		}
		duties = append(duties, v/100)
	}
	if *cpu > 0 {
		cpuPhase(t, *cpu, duties)
	}
	if *mb > 0 {
		allocPhase(t, *mb, *quiet)
	}
	t.MemProfileRecords, _ = runtime.MemProfile(nil, true)
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
}
