//go:build cgo

package main

/*
#include <pthread.h>

extern void stacktruthCallback(void);

static void *callback(void *arg)
{
	stacktruthCallback();
	return 0;
}

// Calls into Go from a thread Go did not create; the call never returns.
static int startCallbackThread(void)
{
	pthread_t t;

	if (pthread_create(&t, 0, callback, 0) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}
*/
import "C"

var callbackNever = make(chan int)

//export stacktruthCallback
func stacktruthCallback() {
	arrive()
	recvOn(callbackNever)
}

// cgoCallbackBlock starts a C thread whose call into Go blocks on a channel receive.
func cgoCallbackBlock() bool {
	if C.startCallbackThread() != 0 {
		panic("pthread_create failed")
	}
	return true
}
