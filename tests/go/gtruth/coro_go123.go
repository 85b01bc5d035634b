//go:build go1.23

package main

import "iter"

// coro runs an iter.Pull coroutine to completion: a goroutine created by runtime.newcoro
// (start function runtime.corostart) that the runtime switches to and from directly.
func coro(t *Truth) {
	parent := goid()
	var me *G
	next, stop := iter.Pull(func(yield func(int) bool) {
		me = t.add(&G{Goid: goid(), Parent: parent, Role: "coro", Fn: "runtime.corostart", Exited: true})
		for i := 0; i < 3; i++ {
			if !yield(i) {
				return
			}
		}
	})
	for {
		if _, ok := next(); !ok {
			break
		}
	}
	stop()
	_ = me
}
