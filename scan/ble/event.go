package ble

import (
	"github.com/go-ble/ble/linux/hci/evt"

	"github.com/biomed-rounds/rounds/scan"
)

// HCI constants for the events this package decodes.
const (
	evtLEMeta           = 0x3e
	subLEAdvReport      = 0x02
	subLEExtAdvReport   = 0x0d
	legacyFixed         = 1 + 1 + 6 + 1 + 1 // type, addr type, addr, length, RSSI
	extendedFixed       = 24
	maxLegacyData       = 31
	rssiUnavailable     = 127
	txPowerUnavailable  = 127
	addrTypeAnonymous   = 0xff
	dataStatusComplete  = 0
	dataStatusMore      = 1
	dataStatusTruncated = 2
)

// Legacy advertising PDU types (Event_Type of the LE Advertising Report).
const (
	advInd        = 0x00
	advDirectInd  = 0x01
	advScanInd    = 0x02
	advNonconnInd = 0x03
	scanRsp       = 0x04
)

// Report is one advertising report from an LE Advertising Report or LE
// Extended Advertising Report event. Data aliases the event buffer: copy
// what must outlive the callback.
type Report struct {
	// Addr is the device address as on the wire (least significant byte
	// first).
	Addr [6]byte
	// HCIAddrType is the controller's address type: 0 public, 1 random,
	// 2 public identity, 3 random (static) identity.
	HCIAddrType uint8
	// AddrType classifies the address, from HCIAddrType and, for random
	// addresses, the two most significant bits.
	AddrType scan.AddrType

	Extended     bool
	Connectable  bool
	Scannable    bool
	Directed     bool
	ScanResponse bool

	// RSSI in dBm; RSSIValid is false when the controller had none.
	RSSI      int8
	RSSIValid bool
	// TxPower from the extended report header, when the controller
	// reported one.
	TxPower      int8
	TxPowerValid bool
	// SID is the advertising set of an extended report.
	SID uint8
	// DataStatus of an extended report: 0 complete, 1 more to come, 2
	// truncated.
	DataStatus uint8
	// Data is the advertising data (AD structures).
	Data []byte
}

// Address returns the device address in the usual upper-case form
// ("C4:7C:8D:6A:12:34").
func (r *Report) Address() string { return FormatAddr(r.Addr) }

// FormatAddr renders a wire-order (little-endian) address upper case,
// most significant byte first.
func FormatAddr(a [6]byte) string {
	const hex = "0123456789ABCDEF"
	var b [17]byte
	for i := 0; i < 6; i++ {
		v := a[5-i]
		b[i*3] = hex[v>>4]
		b[i*3+1] = hex[v&0xf]
		if i < 5 {
			b[i*3+2] = ':'
		}
	}
	return string(b[:])
}

// ParseAddr parses "C4:7C:8D:6A:12:34" (any case, colons or dashes) into
// wire order.
func ParseAddr(s string) ([6]byte, bool) {
	var a [6]byte
	m := scan.NormalizeMAC(s)
	if m == "" {
		return a, false
	}
	for i := 0; i < 6; i++ {
		a[5-i] = unhex(m[i*3])<<4 | unhex(m[i*3+1])
	}
	return a, true
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// ClassifyAddr returns the address type of a device address given the
// controller's address type. Random addresses are told apart by their two
// most significant bits (Core Spec Vol 6 Part B 1.3): 11 static, 01
// resolvable private, 00 non-resolvable private; the reserved 10 is taken
// as static so that it is never grouped with others.
func ClassifyAddr(hciType uint8, a [6]byte) scan.AddrType {
	switch hciType {
	case 0, 2:
		return scan.AddrPublic
	}
	switch a[5] >> 6 {
	case 0b01:
		return scan.AddrResolvable
	case 0b00:
		return scan.AddrNonResolvable
	}
	return scan.AddrRandomStatic
}

// Stats counts what a Decoder saw and what it had to skip.
type Stats struct {
	// Events is the number of LE advertising events decoded.
	Events int `json:"events"`
	// Reports is the number of advertising reports delivered.
	Reports int `json:"reports"`
	// Malformed counts events and reports skipped because their framing
	// was wrong: truncated events, lengths past the end, report counts
	// that do not fit, unknown event types, oversized legacy data.
	Malformed int `json:"malformed"`
	// BadAD counts AD structures and fields that were skipped inside
	// otherwise good reports: lengths running past the end, fields too
	// short for their type, ragged UUID lists, junk after a terminator.
	// The Room counts these, as it parses the data; see Room.BadAD.
	BadAD int `json:"bad_ad"`
	// Panics counts go-ble decoder calls that panicked and were recovered.
	Panics int `json:"panics"`
	// Anonymous counts extended reports without an address.
	Anonymous int `json:"anonymous"`
	// Truncated counts extended advertisements the controller reported
	// as truncated; they are delivered with the data that arrived.
	Truncated int `json:"truncated"`
}

// Decoder decodes HCI events into advertising reports. The zero value is
// ready to use; it is not safe for concurrent use.
type Decoder struct {
	Stats  Stats
	rep    Report
	frags  map[fragKey][]byte
	joined []byte
}

// Event decodes one HCI event (event code, parameter length, parameters)
// and calls fn for each advertising report in it. Events other than LE
// advertising reports are ignored. Malformed input is counted in Stats and
// skipped; Event never panics. The *Report passed to fn is reused.
func (d *Decoder) Event(b []byte, fn func(*Report)) {
	if len(b) < 3 || b[0] != evtLEMeta {
		return
	}
	sub := b[2]
	if sub != subLEAdvReport && sub != subLEExtAdvReport {
		return
	}
	plen := int(b[1])
	if plen > len(b)-2 {
		d.Stats.Malformed++ // truncated event
		return
	}
	p := b[2 : 2+plen]
	d.Stats.Events++
	if sub == subLEAdvReport {
		d.legacy(p, fn)
	} else {
		d.extended(p, fn)
	}
}

// legacy decodes LE Advertising Report parameters (subevent code first).
//
// go-ble's evt.LEAdvertisingReport reads several reports as parallel arrays
// (all event types, then all address types, ...). Controllers, the Linux
// kernel (hci_le_adv_report_evt), Android and Wireshark lay reports out one
// after another, so go-ble is used only for the single-report event, where
// both layouts coincide, after the lengths have been checked.
func (d *Decoder) legacy(p []byte, fn func(*Report)) {
	if len(p) < 2 {
		d.Stats.Malformed++
		return
	}
	n := int(p[1])
	if n == 0 {
		d.Stats.Malformed++
		return
	}
	if n == 1 && len(p) >= 2+legacyFixed && len(p) >= 2+legacyFixed+int(p[2+8]) {
		r := &d.rep
		*r = Report{}
		typ, ok := d.goBLE(p, r)
		if !ok {
			d.Stats.Malformed++
			return
		}
		d.finishLegacy(r, typ, fn)
		return
	}
	rest := p[2:]
	for i := 0; i < n; i++ {
		if len(rest) < legacyFixed {
			d.Stats.Malformed += n - i // counts that do not fit
			return
		}
		dl := int(rest[8])
		if len(rest) < legacyFixed+dl {
			d.Stats.Malformed += n - i
			return
		}
		r := &d.rep
		*r = Report{
			HCIAddrType: rest[1],
			Addr:        [6]byte(rest[2:8]),
			Data:        rest[9 : 9+dl : 9+dl],
			RSSI:        int8(rest[9+dl]),
		}
		typ := rest[0]
		rest = rest[legacyFixed+dl:]
		d.finishLegacy(r, typ, fn)
	}
}

// goBLE fills r from a single-report event through go-ble's decoder,
// recovering from any panic.
func (d *Decoder) goBLE(p []byte, r *Report) (typ uint8, ok bool) {
	defer func() {
		if recover() != nil {
			d.Stats.Panics++
			ok = false
		}
	}()
	e := evt.LEAdvertisingReport(p)
	typ = e.EventType(0)
	r.HCIAddrType = e.AddressType(0)
	r.Addr = e.Address(0)
	data := e.Data(0)
	r.Data = data[:len(data):len(data)]
	r.RSSI = e.RSSI(0)
	return typ, true
}

func (d *Decoder) finishLegacy(r *Report, typ uint8, fn func(*Report)) {
	if typ > scanRsp || len(r.Data) > maxLegacyData {
		d.Stats.Malformed++
		return
	}
	r.Connectable = typ == advInd || typ == advDirectInd
	r.Scannable = typ == advInd || typ == advScanInd
	r.Directed = typ == advDirectInd
	r.ScanResponse = typ == scanRsp
	r.RSSIValid = r.RSSI != rssiUnavailable
	r.AddrType = ClassifyAddr(r.HCIAddrType, r.Addr)
	d.Stats.Reports++
	fn(r)
}

// extended decodes LE Extended Advertising Report parameters. go-ble has
// no decoder for them. Reports follow one another, each a 24-byte fixed
// part and its data.
func (d *Decoder) extended(p []byte, fn func(*Report)) {
	if len(p) < 2 || p[1] == 0 {
		d.Stats.Malformed++
		return
	}
	n := int(p[1])
	rest := p[2:]
	for i := 0; i < n; i++ {
		if len(rest) < extendedFixed {
			d.Stats.Malformed += n - i
			return
		}
		dl := int(rest[23])
		if len(rest) < extendedFixed+dl {
			d.Stats.Malformed += n - i
			return
		}
		props := uint16(rest[0]) | uint16(rest[1])<<8
		at := rest[2]
		r := &d.rep
		*r = Report{
			Extended:     true,
			HCIAddrType:  at,
			Addr:         [6]byte(rest[3:9]),
			Connectable:  props&0x01 != 0,
			Scannable:    props&0x02 != 0,
			Directed:     props&0x04 != 0,
			ScanResponse: props&0x08 != 0,
			DataStatus:   uint8(props>>5) & 0x03,
			SID:          rest[11],
			TxPower:      int8(rest[12]),
			RSSI:         int8(rest[13]),
			Data:         rest[24 : 24+dl : 24+dl],
		}
		rest = rest[extendedFixed+dl:]
		if at == addrTypeAnonymous {
			d.Stats.Anonymous++
			continue
		}
		if at > 3 || r.DataStatus == 3 {
			d.Stats.Malformed++
			continue
		}
		if !d.reassemble(r) {
			continue
		}
		r.TxPowerValid = r.TxPower != txPowerUnavailable
		r.RSSIValid = r.RSSI != rssiUnavailable
		r.AddrType = ClassifyAddr(at, r.Addr)
		d.Stats.Reports++
		fn(r)
	}
}

// maxExtData is the largest advertising data an extended advertiser can
// send (Core Spec Vol 4 Part E 7.8.54), and maxPending bounds the number
// of fragmented advertisements held at once.
const (
	maxExtData = 1650
	maxPending = 64
)

type fragKey struct {
	addr [6]byte
	typ  uint8
	sid  uint8
	rsp  bool
}

// reassemble joins the fragments of an extended advertisement: a report
// with data status "more to come" is held, and the following reports of
// the same advertiser and set are appended to it. It reports whether r is
// now a whole advertisement to deliver (truncated ones are delivered with
// what arrived).
func (d *Decoder) reassemble(r *Report) bool {
	k := fragKey{r.Addr, r.HCIAddrType, r.SID, r.ScanResponse}
	buf, pending := d.frags[k]
	if !pending && r.DataStatus == dataStatusComplete {
		return true
	}
	if d.frags == nil {
		d.frags = make(map[fragKey][]byte)
	}
	if !pending && len(d.frags) >= maxPending {
		// Too many half-received advertisements: drop them all rather
		// than grow without bound.
		d.Stats.Malformed += len(d.frags)
		clear(d.frags)
	}
	if len(buf)+len(r.Data) > maxExtData {
		d.Stats.Malformed++
		delete(d.frags, k)
		return false
	}
	buf = append(buf, r.Data...)
	if r.DataStatus == dataStatusMore {
		d.frags[k] = buf
		return false
	}
	delete(d.frags, k)
	if r.DataStatus == dataStatusTruncated {
		d.Stats.Truncated++
	}
	d.joined = append(d.joined[:0], buf...)
	r.Data = d.joined[:len(d.joined):len(d.joined)]
	return true
}
