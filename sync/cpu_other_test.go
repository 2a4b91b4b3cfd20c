//go:build !unix

package sync_test

import "time"

// cpuTime is not measured where getrusage does not exist; benchmarks
// report zero CPU time there.
func cpuTime() time.Duration { return 0 }
