// Package blesim synthesises BLE advertisements and writes them as btsnoop
// captures, so that tests, benchmarks and the demo can replay a room whose
// contents are known: the medical devices in it, asset tags that rotate
// their private addresses, and a device heard through the wall.
//
// Everything is deterministic for a given seed.
package blesim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// Manufacturer is a manufacturer-specific data entry.
type Manufacturer struct {
	Company uint16
	Data    []byte
}

// ServiceData is a service-data entry for a 16-bit service UUID.
type ServiceData struct {
	UUID uint16
	Data []byte
}

// Device is a simulated advertiser.
type Device struct {
	// Label names the device in tests; it is not advertised.
	Label string
	// Addr is the address ("C4:7C:8D:6A:12:34") of a public or static
	// device. Rotating devices derive theirs from Label and time.
	Addr     string
	AddrType scan.AddrType
	// Rotate is how long a rotating address lives (default 15 minutes).
	Rotate time.Duration
	// Interval between advertisements (default 1 s); each gets up to
	// 10 ms of random delay as on air.
	Interval time.Duration
	// RSSI is the mean signal in dBm; each advertisement varies by up to
	// Jitter either way.
	RSSI, Jitter int
	Connectable  bool
	// Name is the local name; ShortName sends it as the shortened name.
	Name      string
	ShortName bool
	// Services are 16-bit service UUIDs; Service128 is one 128-bit UUID
	// in canonical form.
	Services     []uint16
	Service128   string
	Manufacturer []Manufacturer
	// Counter makes the last byte of the first manufacturer entry count
	// advertisements, as tags do with a sequence number.
	Counter     bool
	ServiceData []ServiceData
	TxPower     *int8
	Appearance  uint16
	// Extended sends LE Extended Advertising Reports instead of legacy
	// ones.
	Extended bool
	// Start and Stop bound when the device is heard, as offsets from the
	// start of the capture; a zero Stop means until the end.
	Start, Stop time.Duration
}

// AD returns the advertising data of the device's seq-th advertisement.
func (d *Device) AD(seq int) []byte {
	var b []byte
	put := func(typ byte, v []byte) {
		b = append(b, byte(len(v)+1), typ)
		b = append(b, v...)
	}
	flags := byte(0x06) // LE General Discoverable, BR/EDR not supported
	if !d.Connectable {
		flags = 0x04
	}
	put(0x01, []byte{flags})
	if len(d.Services) > 0 {
		var v []byte
		for _, s := range d.Services {
			v = binary.LittleEndian.AppendUint16(v, s)
		}
		put(0x03, v)
	}
	if d.Service128 != "" {
		put(0x07, UUID128(d.Service128))
	}
	if d.TxPower != nil {
		put(0x0a, []byte{byte(*d.TxPower)})
	}
	if d.Appearance != 0 {
		put(0x19, binary.LittleEndian.AppendUint16(nil, d.Appearance))
	}
	for i, m := range d.Manufacturer {
		v := binary.LittleEndian.AppendUint16(nil, m.Company)
		v = append(v, m.Data...)
		if i == 0 && d.Counter && len(m.Data) > 0 {
			v[len(v)-1] = byte(seq)
		}
		put(0xff, v)
	}
	for _, s := range d.ServiceData {
		put(0x16, append(binary.LittleEndian.AppendUint16(nil, s.UUID), s.Data...))
	}
	if d.Name != "" {
		typ := byte(0x09)
		if d.ShortName {
			typ = 0x08
		}
		put(typ, []byte(d.Name))
	}
	return b
}

// UUID128 converts a canonical UUID to wire order (least significant
// byte first). It panics on a malformed UUID: callers pass constants.
func UUID128(s string) []byte {
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		panic("blesim: bad UUID " + s)
	}
	b := make([]byte, 16)
	for i := range 16 {
		var v byte
		if _, err := fmt.Sscanf(h[2*i:2*i+2], "%02x", &v); err != nil {
			panic("blesim: bad UUID " + s)
		}
		b[15-i] = v
	}
	return b
}

// AddrAt returns the device's address (wire order) and HCI address type
// at offset t into the capture.
func (d *Device) AddrAt(t time.Duration) ([6]byte, uint8) {
	switch d.AddrType {
	case scan.AddrResolvable, scan.AddrNonResolvable:
		rot := d.Rotate
		if rot <= 0 {
			rot = 15 * time.Minute
		}
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", d.Label, int64(t/rot))
		v := mix(h.Sum64())
		var a [6]byte
		for i := range a {
			a[i] = byte(v >> (8 * i))
		}
		a[5] &= 0x3f
		if d.AddrType == scan.AddrResolvable {
			a[5] |= 0x40
		}
		return a, 1
	}
	a, err := parseAddr(d.Addr)
	if err != nil {
		panic("blesim: device " + d.Label + ": " + err.Error())
	}
	if d.AddrType == scan.AddrRandomStatic {
		a[5] |= 0xc0
		return a, 1
	}
	return a, 0
}

// mix is the splitmix64 finaliser: consecutive epochs get unrelated
// addresses, as real private addresses are.
func mix(v uint64) uint64 {
	v ^= v >> 30
	v *= 0xbf58476d1ce4e5b9
	v ^= v >> 27
	v *= 0x94d049bb133111eb
	return v ^ v>>31
}

func parseAddr(s string) ([6]byte, error) {
	var a [6]byte
	m := scan.NormalizeMAC(s)
	if m == "" {
		return a, fmt.Errorf("bad address %q", s)
	}
	for i := range 6 {
		var v byte
		fmt.Sscanf(m[i*3:i*3+2], "%02x", &v)
		a[5-i] = v
	}
	return a, nil
}

// Legacy is one report of an LE Advertising Report event.
type Legacy struct {
	// Type is the PDU type: 0 ADV_IND, 1 ADV_DIRECT_IND, 2 ADV_SCAN_IND,
	// 3 ADV_NONCONN_IND, 4 SCAN_RSP.
	Type     uint8
	AddrType uint8
	Addr     [6]byte
	Data     []byte
	RSSI     int8
}

// LegacyEvent builds an LE Advertising Report event (0x3E/0x02) with the
// reports one after another, as controllers send them.
func LegacyEvent(reports ...Legacy) []byte {
	p := []byte{0x02, byte(len(reports))}
	for _, r := range reports {
		p = append(p, r.Type, r.AddrType)
		p = append(p, r.Addr[:]...)
		p = append(p, byte(len(r.Data)))
		p = append(p, r.Data...)
		p = append(p, byte(r.RSSI))
	}
	return append([]byte{0x3e, byte(len(p))}, p...)
}

// Extended is one report of an LE Extended Advertising Report event.
type Extended struct {
	// Props is the event type bit field: 0x01 connectable, 0x02
	// scannable, 0x04 directed, 0x08 scan response, 0x10 legacy, data
	// status in bits 5-6.
	Props    uint16
	AddrType uint8
	Addr     [6]byte
	SID      uint8
	TxPower  int8
	RSSI     int8
	Data     []byte
}

// ExtendedEvent builds an LE Extended Advertising Report event
// (0x3E/0x0D).
func ExtendedEvent(reports ...Extended) []byte {
	p := []byte{0x0d, byte(len(reports))}
	for _, r := range reports {
		p = binary.LittleEndian.AppendUint16(p, r.Props)
		p = append(p, r.AddrType)
		p = append(p, r.Addr[:]...)
		p = append(p, 0x01, 0x00, r.SID, byte(r.TxPower), byte(r.RSSI), 0, 0, 0, 0, 0, 0, 0, 0, 0)
		p = append(p, byte(len(r.Data)))
		p = append(p, r.Data...)
	}
	return append([]byte{0x3e, byte(len(p))}, p...)
}

// Event returns the HCI event of the device's seq-th advertisement at
// offset t, with the given RSSI.
func (d *Device) Event(t time.Duration, seq int, rssi int8) []byte {
	addr, at := d.AddrAt(t)
	data := d.AD(seq)
	if d.Extended {
		props := uint16(0)
		if d.Connectable {
			props |= 0x01
		}
		tx := int8(127)
		if d.TxPower != nil {
			tx = *d.TxPower
		}
		return ExtendedEvent(Extended{Props: props, AddrType: at, Addr: addr, TxPower: tx, RSSI: rssi, Data: data})
	}
	typ := uint8(3)
	if d.Connectable {
		typ = 0
	}
	return LegacyEvent(Legacy{Type: typ, AddrType: at, Addr: addr, Data: data, RSSI: rssi})
}

// Capture describes a capture to synthesise.
type Capture struct {
	// Start is the wall time of the first record.
	Start time.Time
	// Duration of the capture.
	Duration time.Duration
	// Datalink of the file (btsnoop.H4 or btsnoop.Monitor).
	Datalink btsnoop.Datalink
	// Seed makes the random delays and RSSI jitter repeatable.
	Seed uint64
}

type timed struct {
	at  time.Duration
	evt []byte
}

// Events returns every advertisement of the devices over the capture, in
// time order, as offsets and HCI events.
func Events(c Capture, devs []Device) ([]time.Duration, [][]byte) {
	rng := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	var all []timed
	for i := range devs {
		d := &devs[i]
		iv := d.Interval
		if iv <= 0 {
			iv = time.Second
		}
		stop := d.Stop
		if stop <= 0 || stop > c.Duration {
			stop = c.Duration
		}
		seq := 0
		for t := d.Start + time.Duration(rng.Int64N(int64(iv))); t < stop; t += iv + time.Duration(rng.Int64N(int64(10*time.Millisecond))) {
			rssi := d.RSSI
			if d.Jitter > 0 {
				rssi += rng.IntN(2*d.Jitter+1) - d.Jitter
			}
			rssi = max(-127, min(20, rssi))
			all = append(all, timed{t, d.Event(t, seq, int8(rssi))})
			seq++
		}
	}
	slices.SortStableFunc(all, func(a, b timed) int { return int(a.at - b.at) })
	at := make([]time.Duration, len(all))
	evts := make([][]byte, len(all))
	for i, e := range all {
		at[i], evts[i] = e.at, e.evt
	}
	return at, evts
}

// Write synthesises the capture and writes it to w as a btsnoop file, the
// way btmon or Android would have recorded it: the controller announced
// (Monitor), passive scanning enabled, then the advertising reports. It
// returns the number of advertisements written.
func Write(w io.Writer, c Capture, devs []Device) (int, error) {
	if c.Datalink == 0 {
		c.Datalink = btsnoop.Monitor
	}
	bw, err := btsnoop.NewWriter(w, c.Datalink)
	if err != nil {
		return 0, err
	}
	if err := bw.WriteNewIndex(c.Start, [6]byte{0x01, 0x02, 0x03, 0xc0, 0xfe, 0x00}, "hci0"); err != nil {
		return 0, err
	}
	// LE Set Scan Parameters (passive, 100 ms/100 ms) and Scan Enable.
	if err := bw.WriteCommand(c.Start, []byte{0x0b, 0x20, 0x07, 0x00, 0xa0, 0x00, 0xa0, 0x00, 0x00, 0x00}); err != nil {
		return 0, err
	}
	if err := bw.WriteCommand(c.Start, []byte{0x0c, 0x20, 0x02, 0x01, 0x00}); err != nil {
		return 0, err
	}
	for i := range devs {
		if d := &devs[i]; !d.Extended && len(d.AD(0)) > 31 {
			return 0, fmt.Errorf("blesim: device %q: %d bytes of advertising data do not fit a legacy advertisement (31); shorten it or set Extended", d.Label, len(d.AD(0)))
		}
	}
	at, evts := Events(c, devs)
	for i := range evts {
		if err := bw.WriteEvent(c.Start.Add(at[i]), evts[i]); err != nil {
			return i, err
		}
	}
	return len(evts), bw.Flush()
}

func txp(v int8) *int8 { return &v }

// Room returns the devices of a patient room, for tests and the demo:
//
//   - "glucose": a Roche glucose meter (Glucose 0x1808), public address;
//   - "oximeter": a Masimo pulse oximeter (0x1822), random static address;
//   - "bp-cuff": an Omron blood-pressure cuff (0x1810), public address;
//   - "infusion": an infusion pump on a Nordic module with a 128-bit
//     service, advertising with extended reports;
//   - "insulin": a Tandem insulin pump (Insulin Delivery 0x183A) with a
//     resolvable private address rotating every rotate;
//   - "tag-1".."tag-3": AeroScout RTLS asset tags with non-resolvable
//     addresses rotating every rotate and a sequence number;
//   - "wall-thermometer": an A&D thermometer (0x1809) in the next room,
//     heard at about -90 dBm.
//
// A rotate of zero keeps the 15-minute default.
func Room(rotate time.Duration) []Device {
	return []Device{
		{Label: "glucose", Addr: "00:60:19:4B:2C:11", AddrType: scan.AddrPublic, Interval: time.Second,
			RSSI: -58, Jitter: 4, Connectable: true, Name: "meter+06417251", Services: []uint16{0x1808, 0x180a},
			Manufacturer: []Manufacturer{{Company: 0x0170, Data: []byte{0x01, 0x12}}}},
		{Label: "oximeter", Addr: "D2:41:7F:09:3A:C5", AddrType: scan.AddrRandomStatic, Interval: 500 * time.Millisecond,
			RSSI: -62, Jitter: 5, Connectable: true, Name: "MightySat", Services: []uint16{0x1822},
			Appearance: 0x0c41, Manufacturer: []Manufacturer{{Company: 0x0243, Data: []byte{0x4d, 0x53, 0x04}}}},
		{Label: "bp-cuff", Addr: "28:FF:B2:60:1A:9E", AddrType: scan.AddrPublic, Interval: time.Second,
			RSSI: -66, Jitter: 4, Connectable: true, Name: "BLEsmart_01", Services: []uint16{0x1810},
			Appearance: 0x0381, Manufacturer: []Manufacturer{{Company: 0x020e, Data: []byte{0x01, 0x00, 0x00}}}},
		{Label: "infusion", Addr: "F0:B5:D1:88:21:07", AddrType: scan.AddrPublic, Interval: time.Second,
			RSSI: -52, Jitter: 3, Connectable: true, Name: "INFUSION-PUMP 2231", Extended: true, TxPower: txp(0),
			Service128:   "6e400001-b5a3-f393-e0a9-e50e24dcca9e",
			Manufacturer: []Manufacturer{{Company: 0x0059, Data: []byte{0x49, 0x50, 0x22, 0x31}}}},
		{Label: "insulin", AddrType: scan.AddrResolvable, Rotate: rotate, Interval: time.Second,
			RSSI: -60, Jitter: 4, Connectable: true, Name: "tslim X2 ***781", Services: []uint16{0x183a},
			Manufacturer: []Manufacturer{{Company: 0x059d, Data: []byte{0x02, 0x07, 0x81}}}},
		tag("tag-1", rotate, -64, 0x0a, 0x00, 0x31, 0x7c),
		tag("tag-2", rotate, -67, 0x0a, 0x00, 0x31, 0x9f),
		tag("tag-3", rotate, -70, 0x0a, 0x00, 0x32, 0x05),
		{Label: "wall-thermometer", Addr: "00:09:1F:8B:5C:2D", AddrType: scan.AddrPublic, Interval: time.Second,
			RSSI: -90, Jitter: 3, Connectable: true, Name: "A&D_UT201BLE_5C2D", Services: []uint16{0x1809},
			Manufacturer: []Manufacturer{{Company: 0x0069, Data: []byte{0x00}}}},
	}
}

// tag is an AeroScout-style asset tag: a 4-byte tag identifier, a battery
// level and a sequence number in the manufacturer data.
func tag(label string, rotate time.Duration, rssi int, id ...byte) Device {
	return Device{Label: label, AddrType: scan.AddrNonResolvable, Rotate: rotate, Interval: 250 * time.Millisecond,
		RSSI: rssi, Jitter: 4, Counter: true, TxPower: txp(-8),
		Manufacturer: []Manufacturer{{Company: 0x03a7, Data: append(slices.Clone(id), 0x5a, 0x00)}}}
}

// Ward returns n asset tags advertising every interval, each with its own
// identifier and non-resolvable rotating address, as an RTLS deployment on
// a ward; for load tests and benchmarks.
func Ward(n int, interval, rotate time.Duration) []Device {
	devs := make([]Device, n)
	for i := range devs {
		devs[i] = tag(fmt.Sprintf("ward-tag-%d", i), rotate, -60-(i%30), 0x0b, byte(i>>16), byte(i>>8), byte(i))
		devs[i].Interval = interval
	}
	return devs
}
