// leakdeep leaks goroutines that block two calls below their start function, on a line of its
// own (marked BLOCK below), the way a forgotten reply channel leaks in a real server: one every
// -every, for -duration. It prints one JSON line when it starts, {"pid": N}, and one when it
// is done, {"leaked": N}, then sleeps until it is stopped.
package main

import (
	"encoding/json"
	"flag"
	"os"
	"time"
)

type request struct{ reply chan int }

func worker(r request) {
	handle(r)
}

func handle(r request) {
	_ = waitReply(r)
}

//go:noinline
func waitReply(r request) int {
	return <-r.reply // BLOCK: nobody ever replies
}

func main() {
	every := flag.Duration("every", 100*time.Millisecond, "time between leaks")
	duration := flag.Duration("duration", 3*time.Second, "how long to leak")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	enc.Encode(map[string]int{"pid": os.Getpid()})
	n := 0
	for end := time.Now().Add(*duration); time.Now().Before(end); n++ {
		go worker(request{reply: make(chan int)})
		time.Sleep(*every)
	}
	enc.Encode(map[string]int{"leaked": n})
	for { // not select{}: with every goroutine blocked, the runtime would call it a deadlock
		time.Sleep(time.Hour)
	}
}
