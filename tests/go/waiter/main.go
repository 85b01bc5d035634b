// waiter blocks until its standard input closes: a live Go process for tests that inspect a
// running program (`xgotop inspect --pid`). It prints "ready" once it runs.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}
