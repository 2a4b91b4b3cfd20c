package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// BenchmarkDevicesInRoom loads random rooms' expected devices from a
// generated 50,000-device inventory and reports the p99 latency (goal:
// under 2 ms on a 1,000,000-device database). ROUNDS_BENCH_DB names an
// existing database to measure instead, such as the one `go run ./bench/all -keep`
// or `rounds generate --load` builds.
func BenchmarkDevicesInRoom(b *testing.B) {
	ctx := context.Background()
	path := os.Getenv("ROUNDS_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "r.db")
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var keys []string
	if os.Getenv("ROUNDS_BENCH_DB") != "" {
		locs, err := st.Locations(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range locs {
			keys = append(keys, l.Key)
		}
	} else {
		g := gen.New(gen.Options{Seed: 1, Devices: 50_000, Now: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)})
		if err := g.Load(ctx, st); err != nil {
			b.Fatal(err)
		}
		keys = g.RoomKeys()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		k := keys[rng.IntN(len(keys))]
		t := time.Now()
		ds, err := st.DevicesInRoom(ctx, k)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatalf("%s: %d devices, %v", k, len(ds), err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
