//go:build cgo

package main

/*
#include <pthread.h>

extern void gtruthCallback(int);

static void *callbacks(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++)
		gtruthCallback(i);
	return 0;
}

// Calls into Go n times from a thread Go did not create: the first call borrows an extra M and
// its goroutine (needm: dead -> syscall), the thread's exit gives them back (dropm: syscall ->
// dead); each call goes syscall -> running -> syscall.
static void callbacksFromCThread(int n)
{
	pthread_t t;

	if (pthread_create(&t, 0, callbacks, &n) == 0)
		pthread_join(t, 0);
}
*/
import "C"

import "sync/atomic"

var callbackGoid atomic.Uint64

//export gtruthCallback
func gtruthCallback(i C.int) {
	callbackGoid.Store(goid())
}

// cgoCallbacks makes n calls from a C thread into Go.
func cgoCallbacks(t *Truth, n int) {
	C.callbacksFromCThread(C.int(n))
	t.add(&G{Goid: callbackGoid.Load(), Role: "cgocallback", Fn: "", Callbacks: n, NotCreated: true})
}
