package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// The canonical field names, as in the journal's changes.
const (
	FieldSerial       = "serial"
	FieldManufacturer = "manufacturer"
	FieldModel        = "model"
	FieldLocation     = "location"
	FieldStatus       = "status"
	FieldFirmware     = "firmware_version"
	FieldOS           = "os"
	FieldOSVersion    = "os_version"
	FieldHostname     = "hostname"
	FieldIP           = "ip"
	FieldMAC          = "mac"
	FieldBLEAddress   = "ble_address"
	FieldLastSeen     = "last_seen"
	FieldLastAudited  = "last_audited"
	FieldNextAuditDue = "next_audit_due"
	FieldLastPM       = "last_pm"
	FieldNextPMDue    = "next_pm_due"
	FieldOwner        = "owner"
	// FieldNotes is the server's free-text log; notes are appended to it,
	// never merged.
	FieldNotes = "notes"
)

// Fields lists the device fields sync merges, in journal order.
var Fields = []string{FieldSerial, FieldManufacturer, FieldModel, FieldLocation, FieldStatus,
	FieldFirmware, FieldOS, FieldOSVersion, FieldHostname, FieldIP, FieldMAC, FieldBLEAddress,
	FieldLastSeen, FieldLastAudited, FieldNextAuditDue, FieldLastPM, FieldNextPMDue, FieldOwner}

func isField(f string) bool {
	for _, x := range Fields {
		if x == f {
			return true
		}
	}
	return false
}

// Owner says who wins when both sides changed a field since the base.
type Owner int

// The owners of a field.
const (
	// Person: neither side wins; the conflict waits for a person.
	Person Owner = iota
	// Server: the CMDB's value wins (catalog and financial facts).
	Server
	// Laptop: the technician's value wins (what was observed in the room).
	Laptop
)

func (o Owner) String() string {
	switch o {
	case Server:
		return "server"
	case Laptop:
		return "laptop"
	}
	return "person"
}

// Ownership maps fields to owners; fields it does not name belong to a
// person.
type Ownership map[string]Owner

// DefaultOwnership: the CMDB owns the catalog identity and the financial
// and maintenance-planning facts; the laptop owns what it observed (where
// the unit is, when it was seen, its network identity, the audit); status,
// retirement, serial and software versions are for a person to decide.
func DefaultOwnership() Ownership {
	return Ownership{
		FieldManufacturer: Server, FieldModel: Server, FieldOwner: Server,
		FieldLastPM: Server, FieldNextPMDue: Server,
		FieldLocation: Laptop, FieldLastSeen: Laptop, FieldLastAudited: Laptop,
		FieldNextAuditDue: Laptop, FieldIP: Laptop, FieldMAC: Laptop, FieldHostname: Laptop,
		FieldBLEAddress: Laptop,
	}
}

// Of returns the owner of field f.
func (o Ownership) Of(f string) Owner { return o[f] }

// ParseOwnership reads "field=server,field=laptop,field=person" on top of
// the defaults, for the target option "ownership".
func ParseOwnership(s string) (Ownership, error) {
	o := DefaultOwnership()
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		f, who, ok := strings.Cut(kv, "=")
		if !ok || !isField(f) {
			return nil, fmt.Errorf("sync: ownership %q: want FIELD=server|laptop|person with a known field", kv)
		}
		switch who {
		case "server":
			o[f] = Server
		case "laptop":
			o[f] = Laptop
		case "person":
			o[f] = Person
		default:
			return nil, fmt.Errorf("sync: ownership %q: owner must be server, laptop or person", kv)
		}
	}
	return o, nil
}

// DeviceFields returns a device's canonical fields in stored form.
func DeviceFields(d store.Device) map[string]string {
	return map[string]string{
		FieldSerial: d.Serial, FieldManufacturer: d.Manufacturer, FieldModel: d.Model,
		FieldLocation: d.LocationKey, FieldStatus: string(d.Status), FieldFirmware: d.FirmwareVersion,
		FieldOS: d.OS, FieldOSVersion: d.OSVersion, FieldHostname: d.Hostname, FieldIP: d.IP,
		FieldMAC: d.MAC, FieldBLEAddress: d.BLEAddress,
		FieldLastSeen:     store.FormatInstant(d.LastSeen),
		FieldLastAudited:  store.FormatDate(d.LastAudited),
		FieldNextAuditDue: store.FormatDate(d.NextAuditDue),
		FieldLastPM:       store.FormatDate(d.LastPM),
		FieldNextPMDue:    store.FormatDate(d.NextPMDue),
		FieldOwner:        d.Owner,
	}
}

// SetField sets one canonical field on d from its stored string form. A
// value that does not parse is an error naming the field.
func SetField(d *store.Device, f, v string) error {
	date := func(dst *time.Time) error {
		if v == "" {
			*dst = time.Time{}
			return nil
		}
		t, err := time.Parse(store.DateLayout, v)
		if err != nil {
			return fmt.Errorf("field %s: %q is not a date (YYYY-MM-DD)", f, v)
		}
		*dst = t
		return nil
	}
	switch f {
	case FieldSerial:
		d.Serial = v
	case FieldManufacturer:
		d.Manufacturer = v
	case FieldModel:
		d.Model = v
	case FieldLocation:
		if v != "" && strings.Count(v, "/") < 2 {
			return fmt.Errorf("field %s: %q is not BUILDING/FLOOR/ROOM", f, v)
		}
		d.LocationKey = v
	case FieldStatus:
		s, ok := store.ParseStatus(v)
		if !ok {
			return fmt.Errorf("field %s: unknown status %q", f, v)
		}
		d.Status = s
	case FieldFirmware:
		d.FirmwareVersion = v
	case FieldOS:
		d.OS = v
	case FieldOSVersion:
		d.OSVersion = v
	case FieldHostname:
		d.Hostname = v
	case FieldIP:
		d.IP = v
	case FieldMAC:
		d.MAC = v
	case FieldBLEAddress:
		d.BLEAddress = v
	case FieldLastSeen:
		if v == "" {
			d.LastSeen = time.Time{}
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("field %s: %q is not an RFC 3339 instant", f, v)
		}
		d.LastSeen = t
	case FieldLastAudited:
		return date(&d.LastAudited)
	case FieldNextAuditDue:
		return date(&d.NextAuditDue)
	case FieldLastPM:
		return date(&d.LastPM)
	case FieldNextPMDue:
		return date(&d.NextPMDue)
	case FieldOwner:
		d.Owner = v
	default:
		return fmt.Errorf("field %s: not a device field", f)
	}
	return nil
}

// Normalize returns v in the form the store keeps for field f, so that a
// server's "00-09-FB-..." and the store's "00:09:fb:..." compare equal.
// Values that do not parse are returned unchanged.
func Normalize(f, v string) string {
	// A server can send any bytes; the store and the merge compare text.
	v = strings.ToValidUTF8(v, "\uFFFD")
	var d store.Device
	switch f {
	case FieldMAC:
		return store.NormalizeIdent(store.IdentMAC, v)
	case FieldBLEAddress:
		return store.NormalizeIdent(store.IdentBLEAddress, v)
	case FieldIP:
		return store.NormalizeIdent(store.IdentIP, v)
	case FieldStatus:
		if s, ok := store.ParseStatus(v); ok {
			return string(s)
		}
	case FieldLastSeen:
		if SetField(&d, f, v) == nil {
			return store.FormatInstant(d.LastSeen.UTC().Truncate(time.Second))
		}
	}
	return v
}
