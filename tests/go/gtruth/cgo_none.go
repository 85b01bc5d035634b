//go:build !cgo

package main

// cgoCallbacks: callbacks from C need cgo.
func cgoCallbacks(t *Truth, n int) {}
