package ble

import (
	"bytes"
	"slices"
	"testing"

	"github.com/go-ble/ble/linux/adv"
)

// adFull has every field this package decodes, with the short name before
// the complete one and two manufacturer entries.
var adFull = []byte{
	0x02, 0x01, 0x06, // flags
	0x05, 0x08, 'B', 'P', '-', '1', // short name
	0x03, 0x03, 0x10, 0x18, // 16-bit UUIDs: 1810
	0x02, 0x0a, 0xfc, // tx power -4
	0x03, 0x19, 0x81, 0x03, // appearance 0x0381
	0x05, 0xff, 0x0e, 0x02, 0x01, 0x00, // Omron Healthcare
	0x04, 0xff, 0x59, 0x00, 0x07, // Nordic
	0x05, 0x16, 0x10, 0x18, 0xaa, 0xbb, // service data 1810
	0x0b, 0x09, 'B', 'P', '-', 'C', 'u', 'f', 'f', ' ', '1', '6', // complete name
}

func TestADFull(t *testing.T) {
	var ad AD
	ad.Parse(adFull)
	if ad.Bad != 0 {
		t.Fatalf("bad %d", ad.Bad)
	}
	if !ad.HasFlags || ad.Flags != 0x06 {
		t.Errorf("flags %v %x", ad.HasFlags, ad.Flags)
	}
	if string(ad.Name) != "BP-Cuff 16" || !ad.NameComplete {
		t.Errorf("name %q complete=%v, want the complete name", ad.Name, ad.NameComplete)
	}
	if !ad.HasTxPower || ad.TxPower != -4 {
		t.Errorf("tx power %v %d", ad.HasTxPower, ad.TxPower)
	}
	if !ad.HasAppearance || ad.Appearance != 0x0381 {
		t.Errorf("appearance %v %x", ad.HasAppearance, ad.Appearance)
	}
	if ad.NManufacturer != 2 || CompanyID(ad.Manufacturer[0]) != 0x020e || CompanyID(ad.Manufacturer[1]) != 0x0059 {
		t.Errorf("manufacturer entries %d %x", ad.NManufacturer, ad.Manufacturer[:ad.NManufacturer])
	}
	if ad.NServiceData != 1 || UUIDString(ad.ServiceData[0].UUID()) != "1810" || !bytes.Equal(ad.ServiceData[0].Data(), []byte{0xaa, 0xbb}) {
		t.Errorf("service data %+v", ad.ServiceData[:ad.NServiceData])
	}
	if ad.NUUIDs != 1 || UUIDString(ad.UUIDs[0].B) != "1810" {
		t.Errorf("uuids %+v", ad.UUIDs[:ad.NUUIDs])
	}
}

// TestGoBLEPacketFaults documents the faults of go-ble's adv.Packet that
// AD works around. If go-ble is fixed, this test says so.
func TestGoBLEPacketFaults(t *testing.T) {
	p := adv.NewRawPacket(adFull)
	if _, ok := p.TxPower(); ok {
		t.Error("go-ble TxPower now works")
	}
	if _, ok := p.Flags(); ok {
		t.Error("go-ble Flags now works")
	}
	if p.LocalName() != "BP-1" {
		t.Errorf("go-ble LocalName = %q; it used to prefer the short name", p.LocalName())
	}
	if md := p.ManufacturerData(); !bytes.Equal(md, []byte{0x0e, 0x02, 0x01, 0x00}) {
		t.Errorf("go-ble ManufacturerData = % x", md)
	}
	panics := func(f func()) (p bool) {
		defer func() { p = recover() != nil }()
		f()
		return false
	}
	ragged := adv.NewRawPacket([]byte{0x04, 0x03, 0x10, 0x18, 0x22})
	if !panics(func() { ragged.UUIDs() }) {
		t.Error("go-ble UUIDs no longer panics on a ragged list")
	}
	short := adv.NewRawPacket([]byte{0x02, 0x21, 0x10})
	if !panics(func() { short.ServiceData() }) {
		t.Error("go-ble ServiceData no longer panics on short 128-bit service data")
	}
	// The same inputs through AD: counted, not fatal.
	var ad AD
	ad.Parse([]byte{0x04, 0x03, 0x10, 0x18, 0x22})
	if ad.Bad != 1 || ad.NUUIDs != 1 || UUIDString(ad.UUIDs[0].B) != "1810" {
		t.Errorf("ragged list: bad %d, uuids %+v", ad.Bad, ad.UUIDs[:ad.NUUIDs])
	}
}

func TestADMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		bad  int
		// check inspects what survived.
		check func(*AD) bool
	}{
		{"length past end", []byte{0x02, 0x01, 0x06, 0x09, 0x09, 'a', 'b'}, 1, func(a *AD) bool { return a.HasFlags && a.Name == nil }},
		{"zero length then padding", []byte{0x02, 0x01, 0x06, 0x00, 0x00, 0x00}, 0, func(a *AD) bool { return a.HasFlags }},
		{"zero length then junk", []byte{0x02, 0x01, 0x06, 0x00, 0x05, 0x09}, 1, func(a *AD) bool { return a.HasFlags }},
		{"zero-length name", []byte{0x01, 0x09, 0x03, 0x08, 'o', 'k'}, 0, func(a *AD) bool { return string(a.Name) == "ok" && !a.NameComplete }},
		{"zero-length flags", []byte{0x01, 0x01}, 1, func(a *AD) bool { return !a.HasFlags }},
		{"manufacturer without company", []byte{0x02, 0xff, 0x4c}, 1, func(a *AD) bool { return a.NManufacturer == 0 }},
		{"manufacturer company only", []byte{0x03, 0xff, 0x4c, 0x00}, 0, func(a *AD) bool { return a.NManufacturer == 1 && len(a.Manufacturer[0]) == 2 }},
		{"tx power two bytes", []byte{0x03, 0x0a, 0x01, 0x02}, 1, func(a *AD) bool { return !a.HasTxPower }},
		{"appearance one byte", []byte{0x02, 0x19, 0x01}, 1, func(a *AD) bool { return !a.HasAppearance }},
		{"128-bit service data short", []byte{0x05, 0x21, 1, 2, 3, 4}, 1, func(a *AD) bool { return a.NServiceData == 0 }},
		{"32-bit uuid list ragged", []byte{0x07, 0x05, 1, 2, 3, 4, 5, 6}, 1, func(a *AD) bool { return a.NUUIDs == 1 && len(a.UUIDs[0].B) == 4 }},
		{"too many entries", bytes.Repeat([]byte{0x03, 0xff, 0x4c, 0x00}, 17), 1, func(a *AD) bool { return a.NManufacturer == 16 }},
		{"empty", nil, 0, func(a *AD) bool { return a.Name == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ad AD
			ad.Parse(tt.in)
			if ad.Bad != tt.bad {
				t.Errorf("bad %d, want %d", ad.Bad, tt.bad)
			}
			if !tt.check(&ad) {
				t.Errorf("unexpected result %+v", ad)
			}
		})
	}
}

func TestUUIDString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte{0x08, 0x18}, "1808"},
		{[]byte{0x0a, 0x18}, "180A"},
		{[]byte{0x22, 0x18, 0x00, 0x00}, "1822"},
		{[]byte{0x78, 0x56, 0x34, 0x12}, "12345678-0000-1000-8000-00805f9b34fb"},
		{[]byte{0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x3a, 0x18, 0x00, 0x00}, "183A"},
		{[]byte{0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0, 0x93, 0xf3, 0xa3, 0xb5, 0x01, 0x00, 0x40, 0x6e}, "6e400001-b5a3-f393-e0a9-e50e24dcca9e"},
		{[]byte{1, 2, 3}, "010203"},
	}
	for _, tt := range tests {
		if got := UUIDString(tt.in); got != tt.want {
			t.Errorf("UUIDString(% x) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, u := range []string{"1808", "1809", "180D", "1810", "181F", "181D", "1822", "183A"} {
		if !HealthService(u) || ServiceName(u) == "" {
			t.Errorf("%s: health=%v name=%q", u, HealthService(u), ServiceName(u))
		}
	}
	if ServiceName("180a") != "Device Information" || HealthService("180A") {
		t.Error("Device Information service")
	}
}

func TestCompanyName(t *testing.T) {
	tests := []struct {
		id   uint16
		want string
	}{
		{0x004c, "Apple, Inc."},
		{0x0059, "Nordic Semiconductor ASA"},
		{0x0170, "Roche Diabetes Care AG"},
		{0x020e, "Omron Healthcare Co., LTD"},
		{0x0243, "Masimo Corp"},
		{0x059d, "Tandem Diabetes Care"},
		{0x3fff, ""},
		{0xfffe, ""},
	}
	for _, tt := range tests {
		if got := CompanyName(tt.id); got != tt.want {
			t.Errorf("CompanyName(%#04x) = %q, want %q", tt.id, got, tt.want)
		}
	}
	if companyCount < 2000 {
		t.Errorf("only %d companies embedded", companyCount)
	}
	for id, name := range companies {
		if name != "" && (name != clean(name)) {
			t.Errorf("company %#04x has an unclean name %q", id, name)
		}
	}
}

func clean(s string) string {
	return string(slices.DeleteFunc([]rune(s), func(r rune) bool { return r < 0x20 || r == 0x7f }))
}
