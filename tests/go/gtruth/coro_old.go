//go:build !go1.23

package main

// coro: iter.Pull needs Go 1.23.
func coro(t *Truth) {}
