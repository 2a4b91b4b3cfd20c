package ble

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/go-ble/ble/linux/hci/evt"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
)

var (
	addrGlucose = [6]byte{0x11, 0x2c, 0x4b, 0x19, 0x60, 0x00} // 00:60:19:4B:2C:11
	addrOxi     = [6]byte{0xc5, 0x3a, 0x09, 0x7f, 0x41, 0xd2} // D2:41:7F:09:3A:C5 (static)
	addrRPA     = [6]byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x4a} // 4A:05:... resolvable
	adGlucose   = []byte{0x02, 0x01, 0x06, 0x05, 0x03, 0x08, 0x18, 0x0a, 0x18, 0x0f, 0x09, 'm', 'e', 't', 'e', 'r', '+', '0', '6', '4', '1', '7', '2', '5', '1'}
)

func collect(d *Decoder, ev []byte) []Report {
	var out []Report
	d.Event(ev, func(r *Report) {
		c := *r
		c.Data = bytes.Clone(r.Data)
		out = append(out, c)
	})
	return out
}

func TestLegacySingle(t *testing.T) {
	var d Decoder
	ev := blesim.LegacyEvent(blesim.Legacy{Type: 0, AddrType: 0, Addr: addrGlucose, Data: adGlucose, RSSI: -58})
	got := collect(&d, ev)
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1 (stats %+v)", len(got), d.Stats)
	}
	r := got[0]
	if r.Address() != "00:60:19:4B:2C:11" || r.AddrType != scan.AddrPublic || !r.Connectable || r.ScanResponse ||
		r.RSSI != -58 || !r.RSSIValid || !bytes.Equal(r.Data, adGlucose) || r.Extended {
		t.Errorf("report %+v", r)
	}
	if d.Stats != (Stats{Events: 1, Reports: 1}) {
		t.Errorf("stats %+v", d.Stats)
	}
}

// TestLegacyMulti checks that several reports in one event are read one
// after another, as controllers send them, and documents that go-ble's
// parallel-array reading gets them wrong.
func TestLegacyMulti(t *testing.T) {
	reps := []blesim.Legacy{
		{Type: 0, AddrType: 0, Addr: addrGlucose, Data: adGlucose, RSSI: -58},
		{Type: 3, AddrType: 1, Addr: addrRPA, Data: []byte{0x02, 0x01, 0x04}, RSSI: -70},
		{Type: 4, AddrType: 1, Addr: addrOxi, Data: []byte{0x05, 0x09, 'O', 'x', 'i', '!'}, RSSI: 127},
	}
	ev := blesim.LegacyEvent(reps...)
	var d Decoder
	got := collect(&d, ev)
	if len(got) != 3 {
		t.Fatalf("%d reports, want 3 (stats %+v)", len(got), d.Stats)
	}
	for i, want := range reps {
		r := got[i]
		if r.Addr != want.Addr || r.HCIAddrType != want.AddrType || !bytes.Equal(r.Data, want.Data) {
			t.Errorf("report %d: %+v, want %+v", i, r, want)
		}
	}
	if got[1].AddrType != scan.AddrResolvable || got[1].Connectable {
		t.Errorf("report 1: %+v", got[1])
	}
	if !got[2].ScanResponse || got[2].RSSIValid || got[2].AddrType != scan.AddrRandomStatic {
		t.Errorf("report 2: %+v", got[2])
	}

	// go-ble reads the second report's address type from the first
	// report's address bytes.
	e := evt.LEAdvertisingReport(ev[2:])
	if e.AddressType(1) == reps[1].AddrType && e.Address(1) == reps[1].Addr {
		t.Error("go-ble now reads multi-report events correctly; the workaround can go")
	}
}

func TestExtended(t *testing.T) {
	data := []byte{0x02, 0x01, 0x06, 0x13, 0x09, 'I', 'N', 'F', 'U', 'S', 'I', 'O', 'N', '-', 'P', 'U', 'M', 'P', ' ', '2', '2', '3', '1'}
	tests := []struct {
		name    string
		reports []blesim.Extended
		want    []Report
		stats   Stats
	}{
		{
			name:    "connectable with tx power",
			reports: []blesim.Extended{{Props: 0x01, AddrType: 0, Addr: addrGlucose, SID: 3, TxPower: -4, RSSI: -52, Data: data}},
			want: []Report{{Addr: addrGlucose, AddrType: scan.AddrPublic, Extended: true, Connectable: true, SID: 3,
				TxPower: -4, TxPowerValid: true, RSSI: -52, RSSIValid: true, Data: data}},
			stats: Stats{Events: 1, Reports: 1},
		},
		{
			name: "anonymous skipped, legacy scan response kept",
			reports: []blesim.Extended{
				{Props: 0x00, AddrType: 0xff, TxPower: 127, RSSI: -60},
				{Props: 0x1b, AddrType: 1, Addr: addrOxi, TxPower: 127, RSSI: -61, Data: data[:3]},
			},
			want: []Report{{Addr: addrOxi, HCIAddrType: 1, AddrType: scan.AddrRandomStatic, Extended: true, Connectable: true,
				Scannable: true, ScanResponse: true, TxPower: 127, RSSI: -61, RSSIValid: true, Data: data[:3]}},
			stats: Stats{Events: 1, Reports: 1, Anonymous: 1},
		},
		{
			name: "fragments reassembled",
			reports: []blesim.Extended{
				{Props: 0x20, AddrType: 0, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: data[:10]},
				{Props: 0x00, AddrType: 0, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: data[10:]},
			},
			want:  []Report{{Addr: addrGlucose, AddrType: scan.AddrPublic, Extended: true, TxPower: 127, RSSI: -50, RSSIValid: true, Data: data}},
			stats: Stats{Events: 1, Reports: 1},
		},
		{
			name: "truncated delivered with what arrived",
			reports: []blesim.Extended{
				{Props: 0x20, AddrType: 0, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: data[:10]},
				{Props: 0x40, AddrType: 0, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: data[10:12]},
			},
			want:  []Report{{Addr: addrGlucose, AddrType: scan.AddrPublic, Extended: true, TxPower: 127, RSSI: -50, RSSIValid: true, DataStatus: 2, Data: data[:12]}},
			stats: Stats{Events: 1, Reports: 1, Truncated: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got := collect(&d, blesim.ExtendedEvent(tt.reports...))
			if len(got) != len(tt.want) {
				t.Fatalf("%d reports, want %d (stats %+v)", len(got), len(tt.want), d.Stats)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if !bytes.Equal(g.Data, w.Data) {
					t.Errorf("report %d data % x, want % x", i, g.Data, w.Data)
				}
				g.Data, w.Data = nil, nil
				if !reflect.DeepEqual(g, w) {
					t.Errorf("report %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
			if d.Stats != tt.stats {
				t.Errorf("stats %+v, want %+v", d.Stats, tt.stats)
			}
		})
	}
}

func TestClassifyAddr(t *testing.T) {
	tests := []struct {
		hci  uint8
		msb  byte
		want scan.AddrType
	}{
		{0, 0xc4, scan.AddrPublic},
		{2, 0x4a, scan.AddrPublic}, // public identity (resolved by the controller)
		{1, 0xd2, scan.AddrRandomStatic},
		{3, 0xd2, scan.AddrRandomStatic},
		{1, 0x4a, scan.AddrResolvable},
		{1, 0x7f, scan.AddrResolvable},
		{1, 0x3f, scan.AddrNonResolvable},
		{1, 0x00, scan.AddrNonResolvable},
		{1, 0x80, scan.AddrRandomStatic}, // reserved 0b10: never grouped
	}
	for _, tt := range tests {
		if got := ClassifyAddr(tt.hci, [6]byte{5: tt.msb}); got != tt.want {
			t.Errorf("ClassifyAddr(%d, %02x…) = %s, want %s", tt.hci, tt.msb, got, tt.want)
		}
	}
}

func TestAddrRoundTrip(t *testing.T) {
	a, ok := ParseAddr("c4-7c-8d-6a-12-34")
	if !ok || FormatAddr(a) != "C4:7C:8D:6A:12:34" || a[0] != 0x34 {
		t.Fatalf("ParseAddr: %v %v %s", a, ok, FormatAddr(a))
	}
	if _, ok := ParseAddr("C4:7C:8D:6A:12"); ok {
		t.Fatal("short address accepted")
	}
}

// TestMalformedEvents feeds broken events: each is counted and skipped,
// reports before the damage are still delivered, and nothing panics.
func TestMalformedEvents(t *testing.T) {
	good := blesim.LegacyEvent(blesim.Legacy{Type: 0, Addr: addrGlucose, Data: adGlucose, RSSI: -58})
	two := blesim.LegacyEvent(
		blesim.Legacy{Type: 0, Addr: addrGlucose, Data: adGlucose, RSSI: -58},
		blesim.Legacy{Type: 3, AddrType: 1, Addr: addrRPA, Data: []byte{0x02, 0x01, 0x04}, RSSI: -70})
	ext := blesim.ExtendedEvent(blesim.Extended{Props: 1, Addr: addrGlucose, TxPower: 127, RSSI: -50, Data: adGlucose})
	mod := func(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }
	tests := []struct {
		name      string
		ev        []byte
		reports   int
		malformed int
	}{
		{"truncated event", good[:len(good)-4], 0, 1},
		{"parameter length short of data", mod(good, func(b []byte) []byte { b[1] -= 5; return b }), 0, 1},
		{"zero reports", mod(good, func(b []byte) []byte { b[3] = 0; return b }), 0, 1},
		{"count too high", mod(good, func(b []byte) []byte { b[3] = 3; return b }), 1, 2},
		{"second report cut", mod(two, func(b []byte) []byte { b = b[:len(b)-3]; b[1] -= 3; return b }), 1, 1},
		{"data length past end", mod(good, func(b []byte) []byte { b[12] = 200; return b }), 0, 1},
		{"legacy data over 31", mod(good, func(b []byte) []byte {
			b = append(b[:len(b)-1], make([]byte, 10)...)
			b = append(b, 0xc6)
			b[12] += 10
			b[1] += 10
			return b
		}), 0, 1},
		{"unknown event type", mod(good, func(b []byte) []byte { b[4] = 7; return b }), 0, 1},
		{"empty parameters", []byte{0x3e, 0x01, 0x02}, 0, 1},
		{"extended fixed part short", ext[:20], 0, 1},
		{"extended count too high", mod(ext, func(b []byte) []byte { b[3] = 2; return b }), 1, 1},
		{"extended bad address type", mod(ext, func(b []byte) []byte { b[6] = 9; return b }), 0, 1},
		{"not an LE meta event", []byte{0x0e, 0x04, 0x01, 0x0c, 0x20, 0x00}, 0, 0},
		{"other LE subevent", []byte{0x3e, 0x02, 0x01, 0x00}, 0, 0},
		{"one byte", []byte{0x3e}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			got := collect(&d, tt.ev)
			if len(got) != tt.reports || d.Stats.Malformed != tt.malformed {
				t.Fatalf("%d reports, %d malformed; want %d, %d (stats %+v)", len(got), d.Stats.Malformed, tt.reports, tt.malformed, d.Stats)
			}
		})
	}
}
