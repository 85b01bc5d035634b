// gccycles runs garbage collection cycles for tests/record.test: some before it waits (with
// -wait-file, so that a recorder can attach after them) and the rest after. Run with
// GODEBUG=gctrace=1, the runtime prints each cycle on standard error when it ends,
//
//	gc 7 @0.215s 3%: 0.021+2.1+0.004 ms clock, ..., 9->9->5 MB, 10 MB goal, 0 MB stacks, ...
//
// (its number, the heap at its start, at its end and marked live, and its heap goal): the
// truth recorded gc_start and gc_end events are compared with. Most cycles start because the
// heap reached its goal, with a live heap that grows and shrinks so that goals differ; every
// fourth is forced with runtime.GC(). Each phase ends with runtime.GC(), so no cycle is under
// way when the program waits or exits.
//
// On standard output: "ready numgc=K" before waiting (K = runtime.MemStats.NumGC), and
// "done numgc=M" at the end.
//
// Usage: gccycles [-before N] [-after N] [-wait-file FILE]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

var (
	live [][]byte // kept across cycles
	sink []byte
)

func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}

// cycles runs n cycles; the i-th (from first) changes the live heap by a step of a cycle of
// sizes between 1 and 24 MB.
func cycles(first, n int) {
	for i := first; i < first+n; i++ {
		want := 1 + (i*7)%24 // MB kept live during this cycle
		for len(live) > want {
			live[len(live)-1] = nil
			live = live[:len(live)-1]
		}
		for len(live) < want {
			live = append(live, make([]byte, 1<<20))
		}
		if i%4 == 3 {
			runtime.GC()
			continue
		}
		for n0 := numGC(); numGC() == n0; {
			for j := 0; j < 16; j++ {
				sink = make([]byte, 64<<10)
			}
		}
	}
	runtime.GC()
}

func main() {
	before := flag.Int("before", 6, "cycles before waiting")
	after := flag.Int("after", 10, "cycles after waiting")
	waitFile := flag.String("wait-file", "", "wait until this file exists before the second phase")
	flag.Parse()

	cycles(0, *before)
	fmt.Printf("ready numgc=%d\n", numGC())
	if *waitFile != "" {
		for {
			if _, err := os.Stat(*waitFile); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cycles(*before, *after)
	fmt.Printf("done numgc=%d\n", numGC())
}
