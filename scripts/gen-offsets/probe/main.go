// offsetprobe is the program scripts/gen-offsets.sh builds with every Go toolchain: the runtime
// linked into it carries the DWARF of every structure xgotop reads (runtime.g, runtime.m,
// runtime.p, runtime.gcControllerState, runtime.mstats, internal/abi.Type, runtime.moduledata)
// and the runtime.waitReason constants.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	fmt.Println(runtime.Version(), ms.NumGC)
}
