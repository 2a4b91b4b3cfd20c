package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// fixedSweeper emits its observations, then returns (or fails).
type fixedSweeper struct {
	obs []scan.Observation
	err error
}

func (f fixedSweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	for _, o := range f.obs {
		select {
		case out <- o:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return f.err
}

// fakeSources replaces the real sweeps for the length of a test and
// records the segments the room scan asked for.
func fakeSources(t *testing.T, srcs []roomSource, gotNets *[]netip.Prefix) {
	old := roomSources
	roomSources = func(_ *cobra.Command, _ *app, _ scanOptions, nets []netip.Prefix) ([]roomSource, error) {
		*gotNets = nets
		return srcs, nil
	}
	t.Cleanup(func() { roomSources = old })
}

func TestScanRoomCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errs := runCLI(t, db, "import", writeFile(t, dir, "in.csv", cliSample)); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	if code, _, errs := runCLI(t, db, "advisories", "import", writeFile(t, dir, "a.json", cliCSAF)); code != 0 {
		t.Fatalf("advisories: %s", errs)
	}
	now := time.Now()
	pump := scan.Observation{Time: now, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.21"), MAC: "00:09:fb:12:34:56", Alive: true}
	evil := scan.Observation{Time: now, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.99"), Alive: true,
		Hostname: "evil\x1b]0;pwned\x07\x1b[31mhost", Vendor: "Acme\x1b[2J"}
	insulin := scan.Observation{Time: now, Source: scan.SourceBLE, BLE: &scan.BLE{Address: "C0:11:22:33:44:55",
		AddressType: scan.AddrPublic, Placement: scan.InRoom, Name: "Omnipod\x1b[5m"}}
	var nets []netip.Prefix
	fakeSources(t, []roomSource{{scan.SourceIP, fixedSweeper{obs: []scan.Observation{pump, evil}}},
		{scan.SourceBLE, fixedSweeper{obs: []scan.Observation{insulin}}}}, &nets)

	code, out, errs := runCLI(t, db, "scan", "--room", "MAIN/3/3W-12", "--net", "127.3.12.0/24")
	if code != 0 {
		t.Fatalf("scan: %d\n%s\n%s", code, out, errs)
	}
	if len(nets) != 1 || nets[0].String() != "127.3.12.0/24" {
		t.Errorf("nets = %v", nets)
	}
	for _, want := range []string{"visit 1 stored", "VERIFIED   BME-1", "MISSING    BME-2", "MOVED HERE BME-3", "recorded in MAIN/3/3W-14",
		"advisory", "ICSMA-25-100-01", "UNKNOWN"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) {
		t.Errorf("output carries control characters:\n%q", out)
	}

	// The visit, its observations and findings were stored together.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.VisitRecord(context.Background(), 1)
	st.Close()
	if err != nil || len(v.Observations) != 3 || len(v.Findings) != 4 || !v.IPSwept || !v.BLESwept {
		t.Fatalf("stored visit = %+v, %v", v, err)
	}
	var f reconcile.Finding
	if err := json.Unmarshal(v.Findings[0].Data, &f); err != nil || f.Kind != reconcile.Verified || f.Device.AssetTag != "BME-1" {
		t.Errorf("first stored finding = %+v, %v", f, err)
	}

	// --json prints the whole result; without --net the room's segments
	// (none here) are used and the BLE sweep alone runs.
	fakeSources(t, []roomSource{{scan.SourceBLE, fixedSweeper{obs: []scan.Observation{insulin}}}}, &nets)
	code, out, errs = runCLI(t, db, "scan", "--room", "MAIN/3/3W-12", "--ble-replay", "x.btsnoop", "--json")
	var res roomResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("--json: %d\n%s\n%s", code, out, errs)
	}
	kinds := map[reconcile.Kind]int{}
	for _, f := range res.Findings {
		kinds[f.Kind]++
	}
	if res.Visit != 2 || res.Sweeps.IP || !res.Sweeps.BLE || kinds[reconcile.Unverified] != 2 || kinds[reconcile.MovedHere] != 1 {
		t.Errorf("result = visit %d sweeps %+v kinds %v", res.Visit, res.Sweeps, kinds)
	}
}

func TestScanRoomFailures(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errs := runCLI(t, db, "import", writeFile(t, dir, "in.csv", cliSample)); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	var nets []netip.Prefix
	fakeSources(t, nil, &nets)
	if code, _, errs := runCLI(t, db, "scan", "--room", "MAIN/9/NOPE"); code != 2 || !strings.Contains(errs, "no room") || !strings.Contains(errs, "did you mean: MAIN/3/3W-12") {
		t.Errorf("unknown room: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, db, "scan", "--room", "MAIN/3/3W-12"); code != 2 || !strings.Contains(errs, "no network segment") {
		t.Errorf("nothing to sweep: %d %s", code, errs)
	}
	// A failing sweep stores nothing.
	fakeSources(t, []roomSource{{scan.SourceIP, fixedSweeper{err: context.DeadlineExceeded}}}, &nets)
	if code, _, errs := runCLI(t, db, "scan", "--room", "MAIN/3/3W-12", "--net", "127.3.12.0/24"); code != 1 || !strings.Contains(errs, "nothing stored") {
		t.Errorf("failed sweep: %d %s", code, errs)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.VisitRecord(context.Background(), 1); err == nil {
		t.Error("a visit was stored for a failed sweep")
	}
}

// TestScanRoomIncompleteSource is issue 11's defect: a capture whose first
// record is damaged reported the room's units MISSING. An incomplete
// source keeps what it saw and its units come out unverified.
func TestScanRoomIncompleteSource(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errs := runCLI(t, db, "import", writeFile(t, dir, "in.csv", cliSample)); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	var nets []netip.Prefix
	damaged := fmt.Errorf("ble replay x.btsnoop: %w: reading stopped at a damaged record after 0 records", scan.ErrIncomplete)
	fakeSources(t, []roomSource{{scan.SourceBLE, fixedSweeper{err: damaged}}}, &nets)
	code, out, errs := runCLI(t, db, "scan", "--room", "MAIN/3/3W-12", "--ble-replay", "x.btsnoop", "--json")
	var res roomResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("--json: %d\n%s\n%s", code, out, errs)
	}
	kinds := map[reconcile.Kind]int{}
	for _, f := range res.Findings {
		kinds[f.Kind]++
	}
	if res.Sweeps.BLE || kinds[reconcile.Missing] != 0 || kinds[reconcile.Unverified] == 0 {
		t.Errorf("sweeps %+v kinds %v: want no sweep complete and nothing missing", res.Sweeps, kinds)
	}
	if !strings.Contains(errs, "incomplete") {
		t.Errorf("stderr does not say the sweep was incomplete: %q", errs)
	}
}
