package round_test

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// BenchmarkStoreBackedReconcile measures StoreReconciler, the path of
// every visit (`rounds scan --room`, the TUI, the demo): identifiers looked up in SQLite through one prepared statement
// (no index over the whole inventory), for a typical room (20
// observations) and a stress sweep (1,000), against a 100,000-device
// store. Compare with reconcile's BenchmarkReconcile1000Observations (an
// in-memory index over 1,000,000 devices, built once per round).
func BenchmarkStoreBackedReconcile(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "r.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g := gen.New(gen.Options{Seed: 5, Devices: 100_000, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err := g.Load(ctx, st); err != nil {
		b.Fatal(err)
	}
	locs := g.Locations()
	room := locs[len(locs)/2]
	var others []store.Device
	n := 0
	_ = g.EachDevice(func(d store.Device) error {
		if n++; n%61 == 0 && d.MAC != "" && len(others) < 1000 {
			others = append(others, d)
		}
		return nil
	})
	mk := func(count int) []scan.Observation {
		obs := make([]scan.Observation, 0, count)
		for i := 0; i < count; i++ {
			d := others[i%len(others)]
			obs = append(obs, scan.Observation{Time: time.Now(), Source: scan.SourceIP, MAC: d.MAC, Hostname: d.Hostname,
				IP: netip.AddrFrom4([4]byte{10, 99, byte(i / 250), byte(i%250 + 1)}), Alive: true})
		}
		return obs
	}
	sw := round.Swept{IP: true}
	r := &round.StoreReconciler{Store: st}
	for _, count := range []int{20, 1000} {
		obs := mk(count)
		b.Run(fmt.Sprintf("observations=%d", count), func(b *testing.B) {
			for b.Loop() {
				fs, err := r.Reconcile(ctx, room, obs, sw, time.Now())
				if err != nil || len(fs) < count {
					b.Fatalf("%d findings, %v", len(fs), err)
				}
			}
		})
	}
	b.Run("full-index-100k", func(b *testing.B) {
		for b.Loop() {
			ib := reconcile.NewIndexBuilder(600_000)
			if err := st.EachIdentifier(ctx, func(id int64, k store.IdentKind, v string) error {
				ib.Add(id, k, v)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if ix := ib.Build(); ix.Devices() != 100_000 {
				b.Fatalf("%d devices indexed", ix.Devices())
			}
		}
	})
}
