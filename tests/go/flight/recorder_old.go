//go:build !go1.25

package main

import "errors"

func record(path string, f func()) error { return errors.New("no flight recorder") }
