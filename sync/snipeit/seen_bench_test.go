package snipeit_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/biomed-rounds/rounds/sync/snipeit"
)

// BenchmarkPullSeen1M is the memory a pull keeps to skip the rows it
// already emitted, at a million assets: the bitmap against the map of id
// strings it replaced (live-MB after a GC).
func BenchmarkPullSeen1M(b *testing.B) {
	live := func(fill func()) float64 {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		fill()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		return float64(m1.HeapAlloc-m0.HeapAlloc) / (1 << 20)
	}
	for i := 0; i < b.N; i++ {
		var set snipeit.IDSet
		var old map[string]bool
		b.ReportMetric(live(func() {
			for id := 1; id <= 1_000_000; id++ {
				set.Add(strconv.Itoa(id))
			}
		}), "bitmap-live-MB")
		b.ReportMetric(live(func() {
			old = map[string]bool{}
			for id := 1; id <= 1_000_000; id++ {
				old[strconv.Itoa(id)] = true
			}
		}), "map-live-MB")
		runtime.KeepAlive(old)
		runtime.KeepAlive(&set)
	}
}
