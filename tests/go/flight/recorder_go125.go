//go:build go1.25

package main

import (
	"os"
	"runtime/trace"
	"time"
)

// record runs f under a flight recorder keeping about 300 ms, and writes its window to path.
func record(path string, f func()) error {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 300 * time.Millisecond})
	if err := fr.Start(); err != nil {
		return err
	}
	defer fr.Stop()
	f()
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := fr.WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
