package ble

import "encoding/binary"

// AD types (Bluetooth Assigned Numbers, "Common Data Types").
const (
	adFlags           = 0x01
	adUUID16Some      = 0x02
	adUUID16All       = 0x03
	adUUID32Some      = 0x04
	adUUID32All       = 0x05
	adUUID128Some     = 0x06
	adUUID128All      = 0x07
	adShortName       = 0x08
	adCompleteName    = 0x09
	adTxPower         = 0x0a
	adServiceData16   = 0x16
	adAppearance      = 0x19
	adServiceData32   = 0x20
	adServiceData128  = 0x21
	adManufacturer    = 0xff
	maxADEntries      = 16
	manufacturerIDLen = 2
)

// UUIDList is one service UUID list: Width-byte UUIDs, least significant
// byte first, back to back.
type UUIDList struct {
	Width int
	B     []byte
}

// ServiceDataRaw is one service-data structure: a Width-byte UUID (least
// significant byte first) followed by the data.
type ServiceDataRaw struct {
	Width int
	B     []byte
}

// UUID returns the service UUID bytes.
func (s ServiceDataRaw) UUID() []byte { return s.B[:s.Width] }

// Data returns the service data after the UUID.
func (s ServiceDataRaw) Data() []byte { return s.B[s.Width:] }

// AD is the parsed advertising data of one advertisement. Its slices alias
// the bytes given to Parse. It exists because go-ble's adv.Packet cannot
// serve here: its Flags and TxPower look past the field and always report
// absent (Flags also searches for type 0), LocalName prefers the short name,
// ManufacturerData and ServiceData return one entry only (ServiceData
// copies the wrong bytes for 32- and 128-bit UUIDs), and UUIDs and
// ServiceData panic on ragged lengths.
type AD struct {
	Flags    uint8
	HasFlags bool
	// Name is the complete local name if there is one, else the short one.
	Name         []byte
	NameComplete bool

	TxPower       int8
	HasTxPower    bool
	Appearance    uint16
	HasAppearance bool

	UUIDs  [maxADEntries]UUIDList
	NUUIDs int
	// Manufacturer entries hold the company identifier (two bytes, least
	// significant first) followed by the data.
	Manufacturer  [maxADEntries][]byte
	NManufacturer int
	ServiceData   [maxADEntries]ServiceDataRaw
	NServiceData  int

	// Bad counts structures and fields skipped as malformed.
	Bad int
	// terminated is set when a zero length ended the data early.
	terminated bool
}

// Parse parses AD structures from b into ad, replacing what it held. It
// never panics and never allocates; malformed parts are skipped and
// counted in ad.Bad.
func (ad *AD) Parse(b []byte) {
	// Reset field by field: zeroing the entry arrays (1.4 KB) would cost
	// more than the parse; entries past the counts are never read.
	ad.Flags, ad.HasFlags = 0, false
	ad.Name, ad.NameComplete = nil, false
	ad.TxPower, ad.HasTxPower = 0, false
	ad.Appearance, ad.HasAppearance = 0, false
	ad.NUUIDs, ad.NManufacturer, ad.NServiceData = 0, 0, 0
	ad.Bad, ad.terminated = 0, false
	for len(b) > 0 {
		l := int(b[0])
		if l == 0 {
			// A zero length ends the significant part; what follows
			// must be zero padding.
			ad.terminated = true
			for _, c := range b[1:] {
				if c != 0 {
					ad.Bad++
					break
				}
			}
			return
		}
		if l >= len(b) {
			ad.Bad++ // runs past the end
			return
		}
		ad.field(b[1], b[2:1+l])
		b = b[1+l:]
	}
}

func (ad *AD) field(typ byte, v []byte) {
	v = v[:len(v):len(v)]
	switch typ {
	case adFlags:
		if len(v) < 1 {
			ad.Bad++
			return
		}
		ad.Flags, ad.HasFlags = v[0], true
	case adCompleteName:
		if len(v) > 0 && !ad.NameComplete {
			ad.Name, ad.NameComplete = v, true
		}
	case adShortName:
		if len(v) > 0 && ad.Name == nil {
			ad.Name = v
		}
	case adTxPower:
		if len(v) != 1 {
			ad.Bad++
			return
		}
		ad.TxPower, ad.HasTxPower = int8(v[0]), true
	case adAppearance:
		if len(v) != 2 {
			ad.Bad++
			return
		}
		ad.Appearance, ad.HasAppearance = binary.LittleEndian.Uint16(v), true
	case adUUID16Some, adUUID16All:
		ad.uuids(2, v)
	case adUUID32Some, adUUID32All:
		ad.uuids(4, v)
	case adUUID128Some, adUUID128All:
		ad.uuids(16, v)
	case adServiceData16:
		ad.serviceData(2, v)
	case adServiceData32:
		ad.serviceData(4, v)
	case adServiceData128:
		ad.serviceData(16, v)
	case adManufacturer:
		if len(v) < manufacturerIDLen || ad.NManufacturer == maxADEntries {
			ad.Bad++
			return
		}
		ad.Manufacturer[ad.NManufacturer] = v
		ad.NManufacturer++
	}
}

func (ad *AD) uuids(w int, v []byte) {
	if len(v)%w != 0 {
		ad.Bad++ // ragged: keep the whole UUIDs
		v = v[:len(v)-len(v)%w]
	}
	if len(v) == 0 {
		return
	}
	if ad.NUUIDs == maxADEntries {
		ad.Bad++
		return
	}
	ad.UUIDs[ad.NUUIDs] = UUIDList{Width: w, B: v}
	ad.NUUIDs++
}

func (ad *AD) serviceData(w int, v []byte) {
	if len(v) < w || ad.NServiceData == maxADEntries {
		ad.Bad++
		return
	}
	ad.ServiceData[ad.NServiceData] = ServiceDataRaw{Width: w, B: v}
	ad.NServiceData++
}

// CompanyID returns the company identifier of a manufacturer entry.
func CompanyID(entry []byte) uint16 { return binary.LittleEndian.Uint16(entry) }
