package ble

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/scan"
)

// Device Information Service (0x180A) characteristics read on request.
const (
	DISService      = 0x180a
	DISManufacturer = 0x2a29
	DISModel        = 0x2a24
	DISSerial       = 0x2a25
	DISFirmware     = 0x2a26
	DISHardware     = 0x2a27
	DISSoftware     = 0x2a28
)

// DISCharacteristics lists the characteristics a DIS read asks for, with
// the field names they get in the "ble-dis" fingerprint.
var DISCharacteristics = []struct {
	UUID  uint16
	Field string
}{
	{DISManufacturer, "manufacturer"},
	{DISModel, "model"},
	{DISSerial, "serial"},
	{DISFirmware, "firmware"},
	{DISHardware, "hardware"},
	{DISSoftware, "software"},
}

// maxDISValue bounds a DIS string; the characteristics are UTF-8 strings
// that a device may fill with anything.
const maxDISValue = 64

// DISResult turns the raw characteristic values read from a device (keyed
// by 16-bit UUID) into identity hints and a "ble-dis" fingerprint. Values
// are cut at the first NUL, stripped of control characters and spaces at
// either end, and bounded in length; invalid UTF-8 is replaced.
func DISResult(values map[uint16][]byte) (scan.Hints, scan.Fingerprint) {
	fp := scan.Fingerprint{Kind: "ble-dis", Fields: map[string]string{}}
	var raw []byte
	for _, c := range DISCharacteristics {
		v, ok := values[c.UUID]
		if !ok {
			continue
		}
		if s := disString(v); s != "" {
			fp.Fields[c.Field] = s
		}
		if len(raw) < scan.MaxRaw {
			raw = append(raw, v[:min(len(v), scan.MaxRaw-len(raw))]...)
		}
	}
	fp.Raw = raw
	h := scan.Hints{
		Manufacturer: fp.Fields["manufacturer"],
		Model:        fp.Fields["model"],
		Serial:       fp.Fields["serial"],
		Firmware:     fp.Fields["firmware"],
		Hardware:     fp.Fields["hardware"],
		Software:     fp.Fields["software"],
	}
	if h.Serial != "" {
		h.SerialSource = "ble-dis"
	}
	return h, fp
}

func disString(v []byte) string {
	if i := strings.IndexByte(string(v), 0); i >= 0 {
		v = v[:i]
	}
	s := strings.ToValidUTF8(string(v), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	for len(s) > maxDISValue {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

type disResult struct {
	hints scan.Hints
	fp    scan.Fingerprint
}

// SetDIS attaches the result of a Device Information Service read to the
// advertiser with address addr (wire order).
func (r *Room) SetDIS(addr [6]byte, values map[uint16][]byte) {
	if r.dis == nil {
		r.dis = make(map[[6]byte]disResult)
	}
	h, fp := DISResult(values)
	r.dis[addr] = disResult{h, fp}
}
