package sync_test

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
)

// resetPeakRSS starts the peak RSS (VmHWM) over, so that a benchmark's
// figure covers its timed part and not its setup: the heap the setup
// freed goes back to the system first. Linux only; elsewhere peakRSS
// reports the process's peak since start.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the process's peak resident set in MB, 0 if unknown.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(string(f[0]), 64)
				if err == nil {
					return kb / 1024
				}
			}
		}
	}
	return 0
}
