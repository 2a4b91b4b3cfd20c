package ble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var capStart = time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)

// writeCapture synthesises a capture of devs into a file and returns its
// path.
func writeCapture(t testing.TB, dl btsnoop.Datalink, d time.Duration, devs []blesim.Device) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := blesim.Write(&buf, blesim.Capture{Start: capStart, Duration: d, Datalink: dl, Seed: 7}, devs); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "capture.btsnoop")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// replay runs a fast replay and returns the observations sent, the last
// per key, and the replay for its stats.
func replay(t *testing.T, path string) (map[string]scan.Observation, []scan.Observation, *Replay) {
	t.Helper()
	p := &Replay{Path: path, Fast: true}
	out := make(chan scan.Observation, 4096)
	// A damaged capture delivers what it read and says it is incomplete.
	if err := p.Sweep(context.Background(), out); err != nil && !(errors.Is(err, scan.ErrIncomplete) && p.Stats().Damaged) {
		t.Fatal(err)
	}
	close(out)
	byKey := map[string]scan.Observation{}
	var all []scan.Observation
	for o := range out {
		byKey[o.Key()] = o
		all = append(all, o)
	}
	return byKey, all, p
}

func byName(obs map[string]scan.Observation) map[string]scan.Observation {
	m := map[string]scan.Observation{}
	for _, o := range obs {
		name := o.BLE.Name
		if name == "" && len(o.BLE.ManufacturerData) > 0 {
			name = o.BLE.ManufacturerData[0].Company + " " + string(o.BLE.ManufacturerData[0].Data[:4])
		}
		m[name] = o
	}
	return m
}

// TestRoomReplay replays a synthesised room in both datalinks and checks
// what was seen: each medical device once with its decoded facts, the
// tags grouped across their rotating addresses, and the thermometer next
// door reported as nearby.
func TestRoomReplay(t *testing.T) {
	for _, dl := range []btsnoop.Datalink{btsnoop.H4, btsnoop.Monitor} {
		t.Run(dl.String(), func(t *testing.T) {
			path := writeCapture(t, dl, 30*time.Second, blesim.Room(10*time.Second))
			obs, _, p := replay(t, path)
			st := p.Stats()
			if st.Malformed != 0 || st.BadAD != 0 || st.Panics != 0 || st.Damaged {
				t.Errorf("stats %+v", st)
			}
			if len(obs) != 9 {
				for k, o := range obs {
					t.Logf("%s: %s %s", k, o.BLE.Name, o.BLE.Addresses)
				}
				t.Fatalf("%d advertisers, want 9", len(obs))
			}
			named := byName(obs)
			tests := []struct {
				name      string
				addr      string
				typ       scan.AddrType
				vendor    string
				services  []string
				placement scan.Placement
				addresses int
			}{
				{"meter+06417251", "00:60:19:4B:2C:11", scan.AddrPublic, "Roche Diabetes Care AG", []string{"1808", "180A"}, scan.InRoom, 0},
				{"MightySat", "D2:41:7F:09:3A:C5", scan.AddrRandomStatic, "Masimo Corp", []string{"1822"}, scan.InRoom, 0},
				{"BLEsmart_01", "28:FF:B2:60:1A:9E", scan.AddrPublic, "Omron Healthcare Co., LTD / OUI: Toshiba Corp.", []string{"1810"}, scan.InRoom, 0},
				{"INFUSION-PUMP 2231", "F0:B5:D1:88:21:07", scan.AddrPublic, "Nordic Semiconductor ASA / OUI: Texas Instruments", []string{"6e400001-b5a3-f393-e0a9-e50e24dcca9e"}, scan.InRoom, 0},
				{"tslim X2 ***781", "", scan.AddrResolvable, "Tandem Diabetes Care", []string{"183A"}, scan.InRoom, 3},
				{"AeroScout \x0a\x00\x31\x7c", "", scan.AddrNonResolvable, "AeroScout", nil, scan.InRoom, 3},
				{"AeroScout \x0a\x00\x31\x9f", "", scan.AddrNonResolvable, "AeroScout", nil, scan.InRoom, 3},
				{"AeroScout \x0a\x00\x32\x05", "", scan.AddrNonResolvable, "AeroScout", nil, scan.InRoom, 3},
				{"A&D_UT201BLE_5C2D", "00:09:1F:8B:5C:2D", scan.AddrPublic, "A&D Engineering, Inc.", []string{"1809"}, scan.Nearby, 0},
			}
			for _, tt := range tests {
				o, ok := named[tt.name]
				if !ok {
					t.Errorf("%q not seen", tt.name)
					continue
				}
				b := o.BLE
				if (tt.addr != "" && b.Address != tt.addr) || b.AddressType != tt.typ || o.Vendor != tt.vendor ||
					strings.Join(b.Services, ",") != strings.Join(tt.services, ",") || b.Placement != tt.placement ||
					len(b.Addresses) != tt.addresses || (tt.addresses > 0) != (b.GroupKey != "") {
					t.Errorf("%q: %+v vendor %q", tt.name, *b, o.Vendor)
				}
				if b.Count == 0 || b.RSSIMax < b.RSSIMedian || b.FirstSeen.After(o.Time) {
					t.Errorf("%q: statistics %+v", tt.name, *b)
				}
			}
			if o := named["INFUSION-PUMP 2231"]; o.BLE.TxPower == nil || *o.BLE.TxPower != 0 || !o.BLE.Connectable {
				t.Errorf("infusion pump: tx power %v connectable %v", o.BLE.TxPower, o.BLE.Connectable)
			}
			if o := named["MightySat"]; o.BLE.Appearance != 0x0c41 || o.BLE.Count < 55 {
				t.Errorf("oximeter: appearance %#x count %d", o.BLE.Appearance, o.BLE.Count)
			}
			if o := named["AeroScout \x0a\x00\x31\x7c"]; o.BLE.Connectable || o.BLE.TxPower == nil || *o.BLE.TxPower != -8 || o.BLE.Count < 110 {
				t.Errorf("tag: %+v", *o.BLE)
			}
		})
	}
}

// TestRoomGolden pins the full JSON of a room replay.
func TestRoomGolden(t *testing.T) {
	path := writeCapture(t, btsnoop.Monitor, 20*time.Second, blesim.Room(8*time.Second))
	_, all, _ := replay(t, path)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, o := range all {
		if err := enc.Encode(o); err != nil {
			t.Fatal(err)
		}
	}
	golden.RequireEqual(t, buf.Bytes())
}

// TestIdenticalRotatingDevices checks that two devices with the same
// payload and rotating addresses, heard at the same time, stay two.
func TestIdenticalRotatingDevices(t *testing.T) {
	pump := blesim.Room(10 * time.Second)[4]
	a, b := pump, pump
	a.Label, b.Label = "pump-a", "pump-b"
	path := writeCapture(t, btsnoop.Monitor, 30*time.Second, []blesim.Device{a, b})
	obs, _, _ := replay(t, path)
	if len(obs) != 2 {
		t.Fatalf("%d advertisers, want 2", len(obs))
	}
	for _, o := range obs {
		if len(o.BLE.Addresses) != 3 {
			t.Errorf("%s: addresses %v, want 3", o.Key(), o.BLE.Addresses)
		}
	}
}

// TestGate checks the room gate on its two conditions.
func TestGate(t *testing.T) {
	dev := func(label string, rssi int, start, stop time.Duration) blesim.Device {
		return blesim.Device{Label: label, Addr: "00:11:22:33:44:" + label, AddrType: scan.AddrPublic,
			Interval: 200 * time.Millisecond, RSSI: rssi, Name: "dev-" + label, Start: start, Stop: stop}
	}
	path := writeCapture(t, btsnoop.H4, 20*time.Second, []blesim.Device{
		dev("01", -55, 0, 0),                                 // in the room
		dev("02", -89, 0, 0),                                 // through the wall
		dev("03", -50, 5*time.Second, 7*time.Second),         // carried past the door
		dev("04", -74, 0, 0),                                 // at the threshold
		dev("05", -76, 0, 0),                                 // just below
		dev("06", -60, 5*time.Second, 9500*time.Millisecond), // long enough
	})
	obs, _, _ := replay(t, path)
	want := map[string]scan.Placement{"dev-01": scan.InRoom, "dev-02": scan.Nearby, "dev-03": scan.Nearby,
		"dev-04": scan.InRoom, "dev-05": scan.Nearby, "dev-06": scan.InRoom}
	for name, o := range byName(obs) {
		if o.BLE.Placement != want[name] {
			t.Errorf("%s: %s (median %d, max %d), want %s", name, o.BLE.Placement, o.BLE.RSSIMedian, o.BLE.RSSIMax, want[name])
		}
	}
}

func TestHistStats(t *testing.T) {
	tests := []struct {
		samples     []int
		max, median int
	}{
		{nil, 0, 0},
		{[]int{-60}, -60, -60},
		{[]int{-60, -70}, -60, -70},
		{[]int{-90, -50, -70}, -50, -70},
		{[]int{-80, -80, -40, -81}, -40, -80},
		{[]int{-128, 20}, 20, -128},
	}
	for _, tt := range tests {
		var h [256]uint32
		for _, s := range tt.samples {
			h[s+128]++
		}
		mx, md := histStats(&h, len(tt.samples))
		if mx != tt.max || md != tt.median {
			t.Errorf("%v: max %d median %d, want %d %d", tt.samples, mx, md, tt.max, tt.median)
		}
	}
}

func TestWindow(t *testing.T) {
	r := NewRoom(RoomConfig{Window: 10 * time.Second})
	rep := Report{Addr: addrGlucose, AddrType: scan.AddrPublic, RSSI: -50, RSSIValid: true, Data: adGlucose}
	r.Add(capStart, &rep)
	rep.Addr = addrOxi
	rep.HCIAddrType, rep.AddrType = 1, scan.AddrRandomStatic
	r.Add(capStart.Add(15*time.Second), &rep)
	if got := r.Snapshot(capStart.Add(16 * time.Second)); len(got) != 1 || got[0].BLE.Address != "D2:41:7F:09:3A:C5" {
		t.Fatalf("snapshot %+v", got)
	}
	if got := r.Snapshot(capStart.Add(15 * time.Second)); len(got) != 1 {
		t.Fatalf("snapshot at 15s has %d", len(got))
	}
	if got := NewRoom(RoomConfig{}).Snapshot(capStart); len(got) != 0 {
		t.Fatalf("empty room: %+v", got)
	}
}

func TestDIS(t *testing.T) {
	h, fp := DISResult(map[uint16][]byte{
		DISManufacturer: []byte("Roche\x00junk"),
		DISModel:        []byte("  Accu-Chek Guide \r\n"),
		DISSerial:       []byte("924\x1b[31m51\xff"),
		DISFirmware:     bytes.Repeat([]byte("9"), 100),
		DISSoftware:     {},
	})
	if h.Manufacturer != "Roche" || h.Model != "Accu-Chek Guide" || h.Serial != "924[31m51\uFFFD" || len(h.Firmware) != maxDISValue ||
		h.SerialSource != "ble-dis" || h.Software != "" {
		t.Errorf("hints %+v", h)
	}
	if fp.Kind != "ble-dis" || fp.Fields["model"] != "Accu-Chek Guide" || len(fp.Raw) == 0 || len(fp.Raw) > scan.MaxRaw {
		t.Errorf("fingerprint %+v", fp)
	}
	if h, _ := DISResult(map[uint16][]byte{DISModel: []byte("X")}); h.SerialSource != "" {
		t.Errorf("serial source without serial: %+v", h)
	}

	r := NewRoom(RoomConfig{})
	rep := Report{Addr: addrGlucose, AddrType: scan.AddrPublic, Connectable: true, RSSI: -50, RSSIValid: true, Data: adGlucose}
	r.Add(capStart, &rep)
	r.SetDIS(addrGlucose, map[uint16][]byte{DISSerial: []byte("92451"), DISModel: []byte("Guide")})
	got := r.Snapshot(capStart)
	if len(got) != 1 || got[0].Hints.Serial != "92451" || len(got[0].Fingerprints) != 1 || got[0].Label() != "meter+06417251" {
		t.Fatalf("snapshot %+v", got)
	}
}
