package tui

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/gen"
)

// bigDB is a database of a million generated devices with a round over
// one floor, made once and kept (it takes a while) at $ROUNDS_BENCH_DB or
// in the temporary directory.
var bigDB struct {
	once sync.Once
	path string
	err  error
}

const bigDevices = 1_000_000

func bigDatabase(b *testing.B) string {
	bigDB.once.Do(func() {
		p := os.Getenv("ROUNDS_BENCH_DB")
		if p == "" {
			p = filepath.Join(os.TempDir(), fmt.Sprintf("rounds-bench-tui-%d.db", bigDevices))
		}
		bigDB.path = p
		ctx := context.Background()
		if st, err := store.Open(ctx, p); err == nil {
			n, _ := st.CountDevices(ctx)
			_, rerr := st.ActiveRound(ctx)
			st.Close()
			if n == bigDevices && rerr == nil {
				return
			}
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(p + suffix)
		}
		start := time.Now()
		st, err := store.Open(ctx, p)
		if err != nil {
			bigDB.err = err
			return
		}
		defer st.Close()
		g := gen.New(gen.Options{Seed: 1, Devices: bigDevices})
		if bigDB.err = g.Load(ctx, st); bigDB.err != nil {
			return
		}
		keys := g.RoomKeys()
		first, _ := st.Location(ctx, keys[0])
		floor, err := st.RoomKeys(ctx, first.Building, first.Floor)
		if err != nil {
			bigDB.err = err
			return
		}
		_, bigDB.err = st.CreateRound(ctx, "bench round", "bench", time.Now(), floor)
		fmt.Fprintf(os.Stderr, "generated %d devices in %v at %s\n", bigDevices, time.Since(start), p)
	})
	if bigDB.err != nil {
		b.Fatal(bigDB.err)
	}
	return bigDB.path
}

// BenchmarkFirstFrame measures what a technician waits for: from opening
// the database to the first frame of the round overview, on a database of
// a million devices.
func BenchmarkFirstFrame(b *testing.B) {
	path := bigDatabase(b)
	ctx := context.Background()
	rooms := 0
	b.ResetTimer()
	for b.Loop() {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		m := New(ctx, Options{Engine: &round.Engine{Store: st}, Profile: colorprofile.NoTTY})
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m.Update(m.c.loadRound()())
		v := m.View()
		if !m.c.hasRound || len(v.Content) == 0 {
			b.Fatal("no round on the first frame")
		}
		rooms = len(m.c.rooms)
		st.Close()
	}
	b.ReportMetric(float64(rooms), "rooms")
}

// bigVisit is a visit with n findings of every kind, with flags.
func bigVisit(n int) round.Visit {
	v := round.Visit{ID: 1, Room: store.Location{Key: "MAIN/3/3W-12", Name: "ICU bed 12"}, Status: store.VisitSwept}
	flags := []reconcile.Flag{
		{Kind: reconcile.FirmwareBelowMin, Severity: reconcile.Critical},
		{Kind: reconcile.AdvisoryMatch, Severity: reconcile.Critical, Document: "ICSMA-24-123-01"},
		{Kind: reconcile.PMOverdue, Severity: reconcile.Warning},
	}
	for i := 0; i < n; i++ {
		k := reconcile.Kinds[i%len(reconcile.Kinds)]
		f := reconcile.Finding{Kind: k, Flags: flags[:i%4]}
		o := scan.Observation{Source: scan.SourceIP, IP: netip.AddrFrom4([4]byte{10, 3, byte(i >> 8), byte(i)}),
			MAC: fmt.Sprintf("00:09:fb:00:%02x:%02x", i>>8, i&0xff)}
		if k != reconcile.Unknown {
			f.Device = &store.Device{AssetTag: fmt.Sprintf("BME-%05d", i), Manufacturer: "Philips", Model: "IntelliVue MX450"}
		} else {
			o.Hints = scan.Hints{Manufacturer: "Masimo", Model: "Root"}
		}
		if k != reconcile.Missing && k != reconcile.Unverified {
			f.Observations = []scan.Observation{o}
		}
		v.Items = append(v.Items, round.Item{ID: int64(i + 1), Finding: f})
	}
	return v
}

// BenchmarkFindingsView renders the findings screen of a visit with 300
// findings, moving the cursor each time so that nothing can be served
// from a cache.
func BenchmarkFindingsView(b *testing.B) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			st := roundtest.Open(b)
			m := New(context.Background(), Options{Engine: &round.Engine{Store: st}, Profile: colorprofile.TrueColor})
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.loaded = true
			m.findings.setVisit(bigVisit(300), nil)
			m.reset(scrFindings)
			down := keyMsg("down")
			for b.Loop() {
				m.Update(down)
				if len(m.View().Content) == 0 {
					b.Fatal("empty view")
				}
			}
		})
	}
}

// BenchmarkSweepView renders the live sweep with 300 observations in.
func BenchmarkSweepView(b *testing.B) {
	st := roundtest.Open(b)
	m := New(context.Background(), Options{Engine: &round.Engine{Store: st}, Profile: colorprofile.TrueColor})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.loaded = true
	m.sweep.prepare(store.Location{Key: "MAIN/3/3W-12"}, []round.Source{{Name: "IP", Kind: scan.SourceIP}, {Name: "BLE", Kind: scan.SourceBLE}}, round.Visit{})
	m.sweep.running = true
	for _, it := range bigVisit(300).Items {
		if len(it.Finding.Observations) > 0 {
			m.sweep.event(round.Event{Obs: it.Finding.Observations[0]})
		}
	}
	m.reset(scrSweep)
	for b.Loop() {
		if len(m.View().Content) == 0 {
			b.Fatal("empty view")
		}
	}
}
