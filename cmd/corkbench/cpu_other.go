//go:build !linux

package main

import (
	"errors"
	"time"
)

func processCPU(int) (time.Duration, error) {
	return 0, errors.New("CPU time is read from /proc, on Linux only")
}

func postgresCPU() (time.Duration, error) {
	return 0, errors.New("CPU time is read from /proc, on Linux only")
}
