//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTick = 100

// processCPU returns the user+system CPU time a process has used so far:
// the server's (pid > 0) from /proc, or this process's own (pid 0). CPU
// per move is the figure that noise from other work on the machine barely
// moves, where wall-clock throughput swings with it.
func processCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, err
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
	}
	_, cpu, _, err := statCPU(fmt.Sprintf("/proc/%d/stat", pid))
	return cpu, err
}

// postgresCPU is the CPU time of every process named postgres so far:
// the backends' own, and through the postmaster's children times the
// backends' that have exited. Any other client of that PostgreSQL counts
// too: meant for a machine where the bench is its only client.
func postgresCPU() (time.Duration, error) {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	found := false
	for _, p := range paths {
		comm, cpu, children, err := statCPU(p)
		if err != nil || comm != "postgres" {
			continue // gone meanwhile, or another program
		}
		found = true
		total += cpu + children
	}
	if !found {
		return 0, fmt.Errorf("no postgres process on this machine")
	}
	return total, nil
}

// statCPU reads a /proc/PID/stat: the command name, the process's
// user+system CPU time and that of its waited-for children.
func statCPU(path string) (comm string, cpu, children time.Duration, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, 0, err
	}
	// The command name (field 2) may hold spaces: count fields after ')'.
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if start := strings.IndexByte(s, '('); start >= 0 && end > start {
		comm = s[start+1 : end]
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 15 {
		return "", 0, 0, fmt.Errorf("short %s", path)
	}
	var t [4]int64
	for i := range t {
		if t[i], err = strconv.ParseInt(f[11+i], 10, 64); err != nil {
			return "", 0, 0, fmt.Errorf("bad %s", path)
		}
	}
	return comm, time.Duration(t[0]+t[1]) * time.Second / clockTick, time.Duration(t[2]+t[3]) * time.Second / clockTick, nil
}
