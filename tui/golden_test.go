package tui

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// TestGoldenViews renders every screen at 80×24 and 120×40 with a fixed
// clock and no colour (run `go test ./tui -update` after a deliberate
// change of layout).
func TestGoldenViews(t *testing.T) {
	screens := []struct {
		name  string
		round bool
		setup func(t *testing.T, h *harness)
	}{
		{"no-round", false, func(t *testing.T, h *harness) {}},
		{"overview", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.gotoFinding("BME-1002")
			h.key("c")
			h.key("esc")
			h.key("esc")
		}},
		{"picker", true, func(t *testing.T, h *harness) {
			h.key("/")
			h.typ("3w")
		}},
		{"sweep", true, func(t *testing.T, h *harness) {
			startSyntheticSweep(t, h)
			obs := roundtest.Room12()
			var evs []round.Event
			for _, o := range obs[:4] {
				evs = append(evs, round.Event{Obs: o})
			}
			h.sendOnly(sweepEventsMsg{gen: h.m.sweep.gen, events: evs})
		}},
		{"findings", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.gotoFinding("BME-1003")
			h.key("x")
			h.key("y")
			h.key("/")
			for h.m.findings.query != "" {
				h.key("backspace")
			}
			h.key("enter")
		}},
		{"detail", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.gotoFinding("BME-1001")
			h.key("enter")
		}},
		{"adopt", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.gotoFinding("127.0.12.50")
			h.key("a")
			h.typ("BME-2001")
			h.key("enter")
		}},
		{"summary", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.key("D")
			h.key("y")
			h.key("s")
		}},
		{"sync", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.gotoFinding("BME-1004")
			h.key("m")
			h.key("esc")
			h.key("esc")
			h.key("y")
		}},
		{"help", true, func(t *testing.T, h *harness) {
			h.sweepRoom12()
			h.key("?")
		}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], sc.name), func(t *testing.T) {
				h := newHarness(t, size[0], size[1], sc.round, func(o *Options) { o.ExportDir = "reports" })
				sc.setup(t, h)
				golden.RequireEqual(t, h.view())
			})
		}
	}
}

// TestHostileNamesRenderInert plants escape sequences in every kind of
// outside string (a BLE name, an IP host name, fingerprint fields, a CMDB
// model name, an advisory URL) and checks that the only escape sequences
// reaching the terminal are the TUI's own colours.
func TestHostileNamesRenderInert(t *testing.T) {
	hostile := "\x1b]0;pwned\x07\x1b[2J\x1b[31mEVIL\x1b]52;c;cm0gLXJmIC8=\x07\u009b1m\u202e"
	h := newHarness(t, 120, 40, true)
	ble := roundtest.BLEObs("C4:7C:8D:6A:12:34", "pump"+hostile, -50)
	ipo := roundtest.IPObs("127.0.12.77", "00:11:22:33:44:66")
	ipo.Hostname = "host" + hostile
	ipo.Hints.Serial = "SN" + hostile
	ipo.Vendor = "vendor" + hostile
	ipo.Fingerprints = append(ipo.Fingerprints, scanFingerprint(hostile))
	ctx := context.Background()
	if err := h.st.Write(ctx, "cmdb", func(w *store.Writer) error {
		_, err := w.PutDevice(store.Device{AssetTag: "BME-6666", Manufacturer: "Acme" + hostile, Model: "X" + hostile,
			LocationKey: roundtest.Rooms[0], MAC: "00:11:22:33:44:66", FirmwareVersion: "1" + hostile})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.eng.Sources = roundtest.Sources(map[string][]scan.Observation{roundtest.Rooms[0]: {ble, ipo}}, 0)
	assertInert := func(where string) {
		t.Helper()
		if err := onlyStyleSequences(h.raw()); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if err := onlyStyleSequences(h.m.View().WindowTitle); err != nil {
			t.Fatalf("%s title: %v", where, err)
		}
	}
	h.key("enter")
	assertInert("sweep ready")
	h.key("enter")
	h.wantScreen(scrFindings)
	assertInert("findings")
	h.wantView("EVIL")
	for _, find := range []string{"BME-6666", "pump"} {
		h.gotoFinding(find)
		h.key("enter")
		assertInert("detail " + find)
		h.key("esc")
	}
	h.key("esc")
	h.key("s")
	assertInert("summary")
}
