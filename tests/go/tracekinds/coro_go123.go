//go:build go1.23

package main

import "iter"

// coroutines pulls from an iterator: each step is a coroutine switch (GoSwitch events).
func coroutines() {
	next, stop := iter.Pull(func(yield func(int) bool) {
		for i := 0; i < 50; i++ {
			if !yield(i) {
				return
			}
		}
	})
	defer stop()
	for {
		if _, ok := next(); !ok {
			return
		}
	}
}
