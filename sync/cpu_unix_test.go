//go:build unix

package sync_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time: the machine running
// the benchmark may be shared, so wall time alone says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
