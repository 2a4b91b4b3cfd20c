//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

type result struct {
	wall  time.Duration
	rssMB float64
}

// measure runs cmd and returns its wall time and peak resident set size.
func measure(cmd *exec.Cmd) (result, error) {
	cmd.Stderr = os.Stderr
	t := time.Now()
	out, err := cmd.Output()
	wall := time.Since(t)
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return result{wall: wall}, nil
	}
	rss := float64(ru.Maxrss) / 1024 // KiB on Linux
	if runtime.GOOS == "darwin" {
		rss = float64(ru.Maxrss) / (1 << 20) // bytes on macOS
	}
	return result{wall: wall, rssMB: rss}, nil
}
