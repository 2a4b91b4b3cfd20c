package ble

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// baseUUID is the Bluetooth Base UUID 00000000-0000-1000-8000-00805F9B34FB
// in wire order (least significant byte first), without its 32-bit value.
var baseUUID = [12]byte{0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00}

// UUIDString renders a service UUID given in wire order (2, 4 or 16 bytes,
// least significant first). UUIDs built on the Bluetooth Base UUID whose
// value fits 16 bits come out in the short upper-case form ("180A"); all
// others in the canonical lower-case 36-character form.
func UUIDString(b []byte) string {
	switch len(b) {
	case 2:
		return short16(binary.LittleEndian.Uint16(b))
	case 4:
		v := binary.LittleEndian.Uint32(b)
		if v <= 0xffff {
			return short16(uint16(v))
		}
		var full [16]byte
		copy(full[:], baseUUID[:])
		binary.LittleEndian.PutUint32(full[12:], v)
		return canonical(full[:])
	case 16:
		if [12]byte(b[:12]) == baseUUID {
			if v := binary.LittleEndian.Uint32(b[12:]); v <= 0xffff {
				return short16(uint16(v))
			}
		}
		return canonical(b)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func short16(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}

func canonical(le []byte) string {
	var be [16]byte
	for i := range 16 {
		be[i] = le[15-i]
	}
	var out [36]byte
	hex.Encode(out[0:8], be[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], be[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], be[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], be[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], be[10:16])
	return string(out[:])
}

// Health and device services by 16-bit UUID (Bluetooth Assigned Numbers,
// "GATT Services"), plus the few generic ones seen beside them.
var serviceNames = map[string]string{
	"1800": "Generic Access",
	"1801": "Generic Attribute",
	"1805": "Current Time",
	"1808": "Glucose",
	"1809": "Health Thermometer",
	"180A": "Device Information",
	"180D": "Heart Rate",
	"180F": "Battery",
	"1810": "Blood Pressure",
	"181A": "Environmental Sensing",
	"181D": "Weight Scale",
	"181F": "Continuous Glucose Monitoring",
	"1822": "Pulse Oximeter",
	"183A": "Insulin Delivery",
	"FEAA": "Eddystone",
}

// ServiceName returns the name of a service UUID in the form UUIDString
// produces, or "" when it is not one this package knows.
func ServiceName(uuid string) string { return serviceNames[strings.ToUpper(uuid)] }

// HealthService reports whether a service UUID is one of the Bluetooth
// SIG health services (glucose, thermometer, heart rate, blood pressure,
// CGM, weight scale, pulse oximeter, insulin delivery).
func HealthService(uuid string) bool {
	switch strings.ToUpper(uuid) {
	case "1808", "1809", "180D", "1810", "181F", "181D", "1822", "183A":
		return true
	}
	return false
}
