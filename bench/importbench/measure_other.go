//go:build !unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

type result struct {
	wall  time.Duration
	rssMB float64
}

// measure runs cmd and returns its wall time; peak memory is not measured
// where getrusage does not exist (it reports zero).
func measure(cmd *exec.Cmd) (result, error) {
	cmd.Stderr = os.Stderr
	t := time.Now()
	out, err := cmd.Output()
	wall := time.Since(t)
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, out)
	}
	return result{wall: wall}, nil
}
