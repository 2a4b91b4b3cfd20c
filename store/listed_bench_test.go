package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// BenchmarkListing reads a whole generated 20,000-device inventory in
// asset-tag order, the way `rounds devices` does (EachListed, the eight
// printed columns) and the way it did before (EachDevice, 26 columns).
func BenchmarkListing(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "r.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 20_000
	g := gen.New(gen.Options{Seed: 1, Devices: n, Now: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)})
	if err := g.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	check := func(b *testing.B, got int) {
		if got != n {
			b.Fatalf("%d devices, want %d", got, n)
		}
	}
	b.Run("EachListed", func(b *testing.B) {
		for b.Loop() {
			got := 0
			if err := st.EachListed(ctx, store.Filter{}, func(store.Listed) error { got++; return nil }); err != nil {
				b.Fatal(err)
			}
			check(b, got)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/device")
	})
	b.Run("EachDevice", func(b *testing.B) {
		for b.Loop() {
			got := 0
			if err := st.EachDevice(ctx, store.Filter{}, func(store.Device) error { got++; return nil }); err != nil {
				b.Fatal(err)
			}
			check(b, got)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/device")
	})
}
