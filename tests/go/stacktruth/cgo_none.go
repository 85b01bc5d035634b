//go:build !cgo

package main

// cgoCallbackBlock: a call from a C thread needs cgo.
func cgoCallbackBlock() bool { return false }
