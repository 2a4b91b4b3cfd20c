package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

func bleCapture(t *testing.T, devs []blesim.Device, extra []byte) string {
	t.Helper()
	var b bytes.Buffer
	c := blesim.Capture{Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Duration: 20 * time.Second, Datalink: btsnoop.H4, Seed: 5}
	if _, err := blesim.Write(&b, c, devs); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "room.btsnoop")
	if err := os.WriteFile(p, append(b.Bytes(), extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanBLEReplayCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	capture := bleCapture(t, blesim.Room(8*time.Second), nil)

	code, out, errs := runCLI(t, db, "scan", "--ble-replay", capture, "--fast", "--json", "--stream")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	seen := map[string]scan.Observation{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var o scan.Observation
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		seen[o.Key()] = o
	}
	if len(seen) != 9 {
		t.Fatalf("%d advertisers, want 9:\n%s", len(seen), out)
	}
	var inRoom, nearby, grouped int
	for _, o := range seen {
		switch o.BLE.Placement {
		case scan.InRoom:
			inRoom++
		case scan.Nearby:
			nearby++
		}
		if o.BLE.GroupKey != "" {
			grouped++
		}
	}
	if inRoom != 8 || nearby != 1 || grouped != 4 {
		t.Errorf("in room %d, nearby %d, grouped %d; want 8, 1, 4", inRoom, nearby, grouped)
	}

	code, out, _ = runCLI(t, db, "scan", "--ble-replay", capture, "--fast")
	if code != 0 || !strings.Contains(out, `"meter+06417251"`) || !strings.Contains(out, "Roche Diabetes Care AG") {
		t.Errorf("text output: %d %q", code, out)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a BLE scan without --room created the database")
	}
}

func TestScanBLEReplayDamaged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	// A hostile name with terminal escapes, and a cut-off last record.
	devs := []blesim.Device{{Label: "evil", Addr: "00:11:22:33:44:55", AddrType: scan.AddrPublic, RSSI: -50,
		Name: "\x1b[2Jpwn\x07", Interval: time.Second}}
	capture := bleCapture(t, devs, []byte{0, 0, 0, 40, 0, 0, 0, 40, 0, 0})
	code, out, errs := runCLI(t, db, "scan", "--ble-replay", capture, "--fast")
	if code != 0 || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "pwn") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errs, "damaged record") || !strings.Contains(errs, "room.btsnoop") {
		t.Errorf("stderr %q", errs)
	}
}

func TestScanBLEUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	capture := bleCapture(t, blesim.Room(0)[:1], nil)
	for _, args := range [][]string{
		{"scan", "--ble", "--ble-replay", capture},
		{"scan", "--ble-replay", capture, "--ble-active"},
		{"scan", "--ble-replay", capture, "--read-dis", "00:11:22:33:44:55"},
		{"scan", "--ble", "--fast"},
		{"scan", "--ble", "--read-dis", "infusion pump"},
		{"scan", "--ble", "--duration", "0s"},
		{"scan", "--ble", "--adapter", "-1"},
	} {
		code, out, errs := runCLI(t, db, args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2", args, code, out, errs)
		}
	}
	notSnoop := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(notSnoop, []byte("\xd4\xc3\xb2\xa1 pcap, not btsnoop"), 0o600)
	if code, _, errs := runCLI(t, db, "scan", "--ble-replay", notSnoop); code != exitFailure || !strings.Contains(errs, "x.pcap") || !strings.Contains(errs, "not a btsnoop file") {
		t.Errorf("not a capture: exit %d, stderr %q", code, errs)
	}
}
