package ble

import (
	"context"
	"errors"
	"fmt"
	"time"

	goble "github.com/go-ble/ble"

	"github.com/biomed-rounds/rounds/scan"
)

// Errors of the live source.
var (
	// ErrUnsupported: this platform has no live BLE scanning.
	ErrUnsupported = errors.New("ble: live scanning is supported on Linux only; replay a btsnoop capture with --ble-replay instead")
	// ErrNoAdapter: there is no such Bluetooth adapter.
	ErrNoAdapter = errors.New("ble: no Bluetooth adapter")
	// ErrPermission: the process may not open the adapter.
	ErrPermission = errors.New("ble: no permission to open the Bluetooth adapter")
	// ErrBusy: BlueZ (or another program) holds the adapter.
	ErrBusy = errors.New("ble: the Bluetooth adapter is in use")
)

// Scan parameter limits (Core Spec Vol 4 Part E 7.8.10): N × 0.625 ms for
// N in 0x0004..0x4000.
const (
	minScanTime = 2500 * time.Microsecond
	maxScanTime = 10240 * time.Millisecond
)

// Live is a Sweeper that scans with the computer's Bluetooth controller
// through go-ble (Linux only). It is passive unless Active is set: it
// sends no scan requests, so devices see nothing of it. It connects to a
// device only to read the Device Information Service of the addresses in
// ReadDIS, one at a time, after the scan.
type Live struct {
	// Adapter is the HCI index (0 for hci0).
	Adapter int
	// Active sends scan requests to get scan responses (names and
	// services some devices only give on request).
	Active bool
	// Interval and Window are the scan interval and window; zero means
	// 100 ms and 50 ms.
	Interval, Window time.Duration
	// Duration is how long to listen; zero means 20 seconds.
	Duration time.Duration
	// ReadDIS lists the addresses whose Device Information Service is
	// read after the scan, if they were seen and are connectable.
	ReadDIS []string
	// DISTimeout bounds each DIS read, connection included; zero means
	// 10 seconds.
	DISTimeout time.Duration
	// Room configures the aggregation and the room gate.
	Room RoomConfig
	// Update, when positive, also reports RSSI changes of an advertiser at
	// most this often.
	Update time.Duration
	// Notef, when set, receives notes a user should see (a DIS read that
	// failed, an address never heard).
	Notef func(format string, args ...any)

	stats LiveStats
}

// LiveStats reports what a live scan saw and skipped.
type LiveStats struct {
	Stats
	// Dropped counts advertisements dropped because the aggregation fell
	// behind.
	Dropped int `json:"dropped"`
	// Addresses is the number of distinct device addresses heard.
	Addresses int `json:"addresses"`
}

// Stats returns what the last Sweep saw and skipped.
func (l *Live) Stats() LiveStats { return l.stats }

// Validate checks the options without touching any hardware.
func (l *Live) Validate() error {
	iv, win := l.params()
	if iv < minScanTime || iv > maxScanTime || win < minScanTime || win > maxScanTime {
		return fmt.Errorf("ble: scan interval and window must be between %v and %v", minScanTime, maxScanTime)
	}
	if win > iv {
		return fmt.Errorf("ble: scan window %v is longer than the interval %v", win, iv)
	}
	for _, a := range l.ReadDIS {
		if _, ok := ParseAddr(a); !ok {
			return fmt.Errorf("ble: %q is not a device address (want AA:BB:CC:DD:EE:FF)", a)
		}
	}
	if l.Adapter < 0 {
		return fmt.Errorf("ble: adapter index %d is negative", l.Adapter)
	}
	return nil
}

func (l *Live) params() (interval, window time.Duration) {
	interval, window = l.Interval, l.Window
	if interval == 0 {
		interval = 100 * time.Millisecond
	}
	if window == 0 {
		window = min(50*time.Millisecond, interval)
	}
	return interval, window
}

func (l *Live) duration() time.Duration {
	if l.Duration <= 0 {
		return 20 * time.Second
	}
	return l.Duration
}

func (l *Live) notef(format string, args ...any) {
	if l.Notef != nil {
		l.Notef(format, args...)
	}
}

// Sweep scans for the configured duration, sending observations as
// advertisers appear or change and a final one for each at the end.
func (l *Live) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	if err := l.Validate(); err != nil {
		return err
	}
	return l.sweep(ctx, out)
}

// goAdv is what the live path reads from a go-ble advertisement (on
// Linux, *hci.Advertisement).
type goAdv interface {
	EventType() uint8
	AddressType() uint8
	Addr() goble.Addr
	Data() []byte
	ScanResponse() []byte
	RSSI() int
}

// liveReport is a Report that owns its data, handed from go-ble's handler
// goroutines to the aggregation.
type liveReport struct {
	t   time.Time
	rep Report
}

// fromGoBLE converts a go-ble advertisement into reports: the advertising
// data and, when go-ble attached one, the scan response. go-ble's
// accessors index into the event without checks, so every call is guarded;
// ok is false when one panicked.
func fromGoBLE(a goAdv, t time.Time) (out []liveReport, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	addr, valid := ParseAddr(a.Addr().String())
	if !valid {
		return nil, false
	}
	typ, at := a.EventType(), a.AddressType()
	rssi := a.RSSI()
	base := Report{Addr: addr, HCIAddrType: at, AddrType: ClassifyAddr(at, addr),
		RSSI: int8(rssi), RSSIValid: rssi != rssiUnavailable && rssi >= -128 && rssi <= 127}
	if typ > scanRsp {
		return nil, false
	}
	r := base
	r.Connectable = typ == advInd || typ == advDirectInd
	r.Scannable = typ == advInd || typ == advScanInd
	r.Directed = typ == advDirectInd
	r.ScanResponse = typ == scanRsp
	data := a.Data()
	if len(data) > maxLegacyData {
		return nil, false
	}
	r.Data = append([]byte(nil), data...)
	out = append(out, liveReport{t, r})
	if sr := a.ScanResponse(); sr != nil && typ != scanRsp && len(sr) <= maxLegacyData {
		s := base
		s.ScanResponse = true
		s.Data = append([]byte(nil), sr...)
		out = append(out, liveReport{t, s})
	}
	return out, true
}
