package demo

import (
	"context"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoRoundFindsThePlantedProblems walks the demo round headless and
// checks that every planted problem is found.
func TestDemoRoundFindsThePlantedProblems(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps the loopback ward")
	}
	ctx := context.Background()
	d, err := Setup(ctx, Options{Dir: t.TempDir(), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	r, err := d.Walk(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo round swept in %v", time.Since(start))
	type key struct {
		room, tag string
		kind      reconcile.Kind
	}
	got := map[key][]reconcile.FlagKind{}
	var unknown []string
	for _, rm := range r.Rooms {
		for _, f := range rm.Findings {
			tag, model := report.Subject(f.Finding)
			if tag == "" {
				unknown = append(unknown, rm.Key+" "+string(f.Kind)+" "+model)
			}
			var fl []reconcile.FlagKind
			for _, x := range f.Flags {
				fl = append(fl, x.Kind)
			}
			got[key{rm.Key, tag, f.Kind}] = fl
		}
	}
	has := func(room, tag string, kind reconcile.Kind, flags ...reconcile.FlagKind) {
		t.Helper()
		fl, ok := got[key{room, tag, kind}]
		if !ok {
			t.Errorf("%s %s: no %s finding; findings: %v", room, tag, kind, got)
			return
		}
		for _, want := range flags {
			found := false
			for _, f := range fl {
				found = found || f == want
			}
			if !found {
				t.Errorf("%s %s: flags %v, want %s", room, tag, fl, want)
			}
		}
	}
	has(RoomICU12, "BME-3001", reconcile.Verified, reconcile.FirmwareBelowMin, reconcile.AdvisoryMatch)
	has(RoomICU12, "BME-3002", reconcile.Verified, reconcile.PMOverdue)
	has(RoomICU12, "BME-3004", reconcile.Missing, reconcile.RecallMatch)
	has(RoomICU12, "BME-3005", reconcile.Verified, reconcile.Segmentation)
	has(RoomICU12, "BME-3021", reconcile.MovedHere)
	has(RoomICU12, "BME-3010", reconcile.Verified)
	has(RoomICU12, "BME-3011", reconcile.Verified)
	has(RoomICU12, "BME-3012", reconcile.Verified)
	has(RoomICU14, "BME-3020", reconcile.Verified)
	has(RoomICU14, "BME-3023", reconcile.Verified)
	has(RoomStation, "BME-3030", reconcile.Verified, reconcile.OSEndOfLife)
	has(RoomMRI, "BME-3041", reconcile.Unverified)
	joined := strings.Join(unknown, "\n")
	if !strings.Contains(joined, RoomICU12+" unknown Masimo Root") {
		t.Errorf("unknown Masimo Root not found; unknowns:\n%s", joined)
	}
	if !strings.Contains(joined, RoomICU12+" heard_nearby") {
		t.Errorf("nothing heard nearby in ICU 12; unknowns:\n%s", joined)
	}
	if t.Failed() {
		report.WriteText(os.Stderr, r)
	}
}

// TestStartWardWhenBusy: another demo (or any process) holding the
// demo ward's first address and port must not stop this one: it moves on
// to another port offset, and every device still answers.
func TestStartWardWhenBusy(t *testing.T) {
	first := wardDevices()[0]
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	// Hold the first device's port at every fixed offset, as six other
	// demos or test runs would.
	for _, off := range portOffsets {
		l, err := net.Listen("tcp4", net.JoinHostPort(first.Addr.String(), strconv.Itoa(first.Services[0].Port+off)))
		if err != nil {
			t.Skipf("cannot hold %v (already busy?): %v", first.Addr, err)
		}
		held = append(held, l)
	}
	w, err := startWard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if off := w.PortOffset(); slices.Contains(portOffsets, off) {
		t.Fatalf("ward on the held offset %d", off)
	}
	c, err := net.DialTimeout("tcp4", net.JoinHostPort(first.Addr.String(), strconv.Itoa(first.Services[0].Port+w.PortOffset())), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
