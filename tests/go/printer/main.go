// printer writes numbered lines, one every -every, alternately to standard output and
// standard error ("printer line 1 on stdout", "printer line 2 on stderr", ...), then exits:
// a launched program whose output tests/tui.test follows while the TUI is on the terminal.
//
// Usage: printer [-n N] [-every DUR]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	n := flag.Int("n", 40, "lines to write")
	every := flag.Duration("every", 50*time.Millisecond, "time between lines")
	flag.Parse()
	for i := 1; i <= *n; i++ {
		if i%2 == 1 {
			fmt.Fprintf(os.Stdout, "printer line %d on stdout\n", i)
		} else {
			fmt.Fprintf(os.Stderr, "printer line %d on stderr\n", i)
		}
		time.Sleep(*every)
	}
}
