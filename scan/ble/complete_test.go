package ble

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// btsnoopEpoch is Unix µs of btsnoop time zero (0000-01-01).
const btsnoopEpoch = 0x00dcddb30f2f8000

func advEvent(i int) []byte {
	a := [6]byte{byte(i), byte(i >> 8), byte(i >> 16), 0x00, 0x1F, 0x00}
	return blesim.LegacyEvent(blesim.Legacy{Type: 3, AddrType: 0, Addr: a, RSSI: -50,
		Data: []byte{0x02, 0x01, 0x06, 0x05, 0xFF, 0x6B, 0x00, byte(i), byte(i >> 8)}})
}

func captureAt(t *testing.T, times []time.Time) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := btsnoop.NewWriter(&buf, btsnoop.Monitor)
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range times {
		if err := w.WriteEvent(ts, advEvent(i%7)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "c.btsnoop")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReplayClockJumps replays, paced, captures whose clock starts at
// zero, jumps to the far future, goes backwards: before the fix the
// replay slept for the jump (years). It must finish having slept no more
// than the capture's plausible steps.
func TestReplayClockJumps(t *testing.T) {
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	zero := time.UnixMicro(-btsnoopEpoch)
	huge := time.UnixMicro(1 << 60)
	cases := map[string][]time.Time{
		"starts at zero": {zero, base, base.Add(time.Second), base.Add(2 * time.Second)},
		"huge":           {base, huge, base.Add(time.Second), huge.Add(time.Hour)},
		"backwards":      {base.Add(time.Hour), base, base.Add(-time.Hour), base.Add(500 * time.Millisecond)},
		"all zero":       {zero, zero, zero},
	}
	for name, times := range cases {
		t.Run(name, func(t *testing.T) {
			var slept time.Duration
			start := time.Now()
			p := &Replay{Path: captureAt(t, times),
				now: func() time.Time { return start.Add(slept) },
				sleep: func(ctx context.Context, d time.Duration) error {
					slept += d
					return nil
				}}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out := make(chan scan.Observation, 100)
			if err := p.Sweep(ctx, out); err != nil {
				t.Fatal(err)
			}
			if slept > time.Duration(len(times))*maxStep {
				t.Errorf("slept %v for %d records", slept, len(times))
			}
			close(out)
			n := 0
			for o := range out {
				n++
				if o.BLE.FirstSeen.After(o.Time) {
					t.Errorf("first seen %v after last %v", o.BLE.FirstSeen, o.Time)
				}
			}
			if n == 0 {
				t.Error("nothing reported")
			}
		})
	}
}

// TestDamagedCaptureIncomplete: a capture whose first record is damaged,
// or whose header is unreadable, reports an incomplete sweep (so the
// room's units come out unverified), not an empty complete one (which
// made them missing).
func TestDamagedCaptureIncomplete(t *testing.T) {
	good := captureAt(t, []time.Time{time.Now(), time.Now()})
	b, _ := os.ReadFile(good)
	dir := t.TempDir()
	firstDamaged := append(bytes.Clone(b[:16]), 0, 0, 0, 9) // a record header cut short
	huge := bytes.Clone(b)
	huge[20], huge[21] = 0x7f, 0xff // first record claims a 2 GB packet
	cases := map[string][]byte{"first record cut": firstDamaged, "first record huge": huge,
		"header damaged": []byte("btsnoop\x00\x00\x00\x00\x09garbage"), "empty": nil}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			rp := &Replay{Path: p, Fast: true}
			err := rp.Sweep(context.Background(), make(chan scan.Observation, 10))
			if !errors.Is(err, scan.ErrIncomplete) || !rp.Stats().Damaged {
				t.Errorf("err %v, stats %+v: want scan.ErrIncomplete", err, rp.Stats())
			}
		})
	}
	// A whole capture is complete.
	if err := (&Replay{Path: good, Fast: true}).Sweep(context.Background(), make(chan scan.Observation, 10)); err != nil {
		t.Errorf("whole capture: %v", err)
	}
}

// TestAdvertiserCap feeds a million distinct addresses: memory stays
// bounded by the cap and the excess is counted, and a replay over the cap
// is incomplete.
func TestAdvertiserCap(t *testing.T) {
	const n = 1_000_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewRoom(RoomConfig{})
	rep := Report{HCIAddrType: 0, AddrType: scan.AddrPublic, RSSI: -60, RSSIValid: true,
		Data: []byte{0x02, 0x01, 0x06, 0x05, 0xFF, 0x6B, 0x00, 1, 2}}
	t0 := time.Now()
	for i := range n {
		rep.Addr = [6]byte{byte(i), byte(i >> 8), byte(i >> 16), 0x55, 0x1F, 0x00}
		r.Add(t0, &rep)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if r.Len() != DefaultMaxAdvertisers || r.Overflow() != n-DefaultMaxAdvertisers {
		t.Errorf("tracked %d, overflow %d", r.Len(), r.Overflow())
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 100<<20 {
		t.Errorf("heap grew %d MB for %d addresses", grew>>20, n)
	}
	if obs := r.Snapshot(t0); len(obs) != DefaultMaxAdvertisers {
		t.Errorf("snapshot has %d", len(obs))
	}
	runtime.KeepAlive(r)

	var times []time.Time
	for range 30 {
		times = append(times, time.Now())
	}
	p := &Replay{Path: captureAt(t, times), Fast: true, Room: RoomConfig{MaxAdvertisers: 3}}
	if err := p.Sweep(context.Background(), make(chan scan.Observation, 100)); !errors.Is(err, scan.ErrIncomplete) || p.Stats().Overflow == 0 {
		t.Errorf("over the cap: %v %+v", err, p.Stats())
	}
}

func TestCompanyVendor(t *testing.T) {
	md := func(id uint16, company string, data ...byte) scan.ManufacturerData {
		return scan.ManufacturerData{CompanyID: id, Company: company, Data: data}
	}
	cases := []struct {
		name string
		md   []scan.ManufacturerData
		oui  string
		want string
	}{
		{"company only", []scan.ManufacturerData{md(0x0243, "Masimo Corp")}, "", "Masimo Corp"},
		{"0x0000 never names", []scan.ManufacturerData{md(0x0000, "Ericsson Technology Licensing", 1, 2)}, "", ""},
		{"0x0000 then OUI", []scan.ManufacturerData{md(0x0000, "Ericsson Technology Licensing")}, "Nonin Medical, Inc.", "Nonin Medical, Inc."},
		{"iBeacon is not Apple's device", []scan.ManufacturerData{md(0x004C, "Apple, Inc.", 0x02, 0x15, 1, 2, 3)}, "Kontakt Micro-Location", "Kontakt Micro-Location"},
		{"Apple not iBeacon", []scan.ManufacturerData{md(0x004C, "Apple, Inc.", 0x10, 0x05)}, "", "Apple, Inc."},
		{"test ID", []scan.ManufacturerData{md(0xFFFF, "")}, "", ""},
		{"both differ", []scan.ManufacturerData{md(0x0059, "Nordic Semiconductor ASA")}, "Texas Instruments", "Nordic Semiconductor ASA / OUI: Texas Instruments"},
		{"both same org", []scan.ManufacturerData{md(0x000D, "Texas Instruments Inc.")}, "Texas Instruments", "Texas Instruments Inc."},
		{"second entry names", []scan.ManufacturerData{md(0x0000, "Ericsson"), md(0x0243, "Masimo Corp")}, "", "Masimo Corp"},
	}
	for _, c := range cases {
		if got := vendorLabel(companyVendor(c.md), c.oui); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
