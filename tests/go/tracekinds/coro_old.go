//go:build !go1.23

package main

// coroutines: iter.Pull needs Go 1.23.
func coroutines() {}
