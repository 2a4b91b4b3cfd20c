package ble

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	goble "github.com/go-ble/ble"

	"github.com/biomed-rounds/rounds/scan"
)

type fakeAdv struct {
	typ, at uint8
	addr    string
	data    []byte
	sr      []byte
	rssi    int
	panics  bool
}

func (f fakeAdv) EventType() uint8   { return f.typ }
func (f fakeAdv) AddressType() uint8 { return f.at }
func (f fakeAdv) Addr() goble.Addr   { return goble.NewAddr(f.addr) }
func (f fakeAdv) Data() []byte {
	if f.panics {
		var b []byte
		return b[:5] // as go-ble's accessors do on a short event
	}
	return f.data
}
func (f fakeAdv) ScanResponse() []byte { return f.sr }
func (f fakeAdv) RSSI() int            { return f.rssi }

func TestFromGoBLE(t *testing.T) {
	tests := []struct {
		name string
		in   fakeAdv
		want []Report
		ok   bool
	}{
		{"connectable public", fakeAdv{typ: 0, at: 0, addr: "00:60:19:4b:2c:11", data: adGlucose, rssi: -58}, []Report{
			{Addr: addrGlucose, AddrType: scan.AddrPublic, Connectable: true, Scannable: true, RSSI: -58, RSSIValid: true, Data: adGlucose}}, true},
		{"with scan response", fakeAdv{typ: 2, at: 1, addr: "d2:41:7f:09:3a:c5", data: []byte{2, 1, 6}, sr: []byte{3, 9, 'o', 'k'}, rssi: 127}, []Report{
			{Addr: addrOxi, HCIAddrType: 1, AddrType: scan.AddrRandomStatic, Scannable: true, RSSI: 127, Data: []byte{2, 1, 6}},
			{Addr: addrOxi, HCIAddrType: 1, AddrType: scan.AddrRandomStatic, ScanResponse: true, RSSI: 127, Data: []byte{3, 9, 'o', 'k'}}}, true},
		{"go-ble panics", fakeAdv{typ: 0, addr: "00:60:19:4b:2c:11", panics: true}, nil, false},
		{"bad event type", fakeAdv{typ: 9, addr: "00:60:19:4b:2c:11"}, nil, false},
		{"bad address", fakeAdv{typ: 0, addr: "nonsense"}, nil, false},
		{"oversized data", fakeAdv{typ: 0, addr: "00:60:19:4b:2c:11", data: make([]byte, 40)}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fromGoBLE(tt.in, capStart)
			if ok != tt.ok || len(got) != len(tt.want) {
				t.Fatalf("ok %v, %d reports: %+v", ok, len(got), got)
			}
			for i := range got {
				g, w := got[i].rep, tt.want[i]
				if string(g.Data) != string(w.Data) {
					t.Errorf("data % x, want % x", g.Data, w.Data)
				}
				g.Data, w.Data = nil, nil
				if g.Addr != w.Addr || g.AddrType != w.AddrType || g.Connectable != w.Connectable || g.ScanResponse != w.ScanResponse ||
					g.RSSIValid != w.RSSIValid || g.RSSI != w.RSSI || g.Scannable != w.Scannable {
					t.Errorf("report %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestLiveValidate(t *testing.T) {
	tests := []struct {
		l  Live
		ok bool
	}{
		{Live{}, true},
		{Live{Interval: time.Second, Window: 500 * time.Millisecond, ReadDIS: []string{"00:60:19:4B:2C:11"}}, true},
		{Live{Interval: time.Millisecond}, false},
		{Live{Interval: 20 * time.Second}, false},
		{Live{Interval: 50 * time.Millisecond, Window: 60 * time.Millisecond}, false},
		{Live{ReadDIS: []string{"glucose meter"}}, false},
		{Live{Adapter: -1}, false},
	}
	for i, tt := range tests {
		if err := tt.l.Validate(); (err == nil) != tt.ok {
			t.Errorf("%d: %v", i, err)
		}
	}
}

// TestLiveNoHardware opens the adapter for real. It is off unless
// ROUNDS_TEST_LIVE_BLE=1: go-ble takes the adapter down and over, which a
// test must not do to a developer's Bluetooth uninvited.
func TestLiveNoHardware(t *testing.T) {
	if os.Getenv("ROUNDS_TEST_LIVE_BLE") != "1" {
		t.Skip("set ROUNDS_TEST_LIVE_BLE=1 to open hci0")
	}
	l := &Live{Duration: time.Second}
	err := l.Sweep(context.Background(), make(chan scan.Observation, 100))
	t.Logf("Sweep: %v", err)
	if err != nil && !errors.Is(err, ErrNoAdapter) && !errors.Is(err, ErrPermission) && !errors.Is(err, ErrBusy) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unclassified error: %v", err)
	}
}
