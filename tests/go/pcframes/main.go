// pcframes prints, for each PC given in hex on the command line, the frames Go's own
// runtime.CallersFrames expands it to (function, file, line; innermost first), one line each,
// and a line "--" after each PC: the ground truth for `xgotop inspect --pc` on this binary.
// A PC is looked up as CallersFrames does for a return address (the call before it), so pass
// the address of an instruction plus one.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

func main() {
	for _, a := range os.Args[1:] {
		pc, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// a second, invalid PC: CallersFrames expands a PC's inlined callers only when
		// another PC follows it
		frames := runtime.CallersFrames([]uintptr{uintptr(pc), 1})
		for {
			f, more := frames.Next()
			if f.Function == "" {
				break
			}
			fmt.Printf("%s %s:%d\n", f.Function, f.File, f.Line)
			if !more {
				break
			}
		}
		fmt.Println("--")
	}
}
