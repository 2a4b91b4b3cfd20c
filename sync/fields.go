package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
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

// Fields lists the device fields sync merges, in journal order: the
// synced rows of the device field table (inventory.Fields).
var Fields = func() []string {
	var out []string
	for _, f := range inventory.Fields {
		if f.Synced {
			out = append(out, f.Name)
		}
	}
	return out
}()

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
	o := Ownership{}
	for _, f := range inventory.Fields {
		if !f.Synced {
			continue
		}
		switch f.Owner {
		case inventory.OwnerCMDB:
			o[f.Name] = Server
		case inventory.OwnerLaptop:
			o[f.Name] = Laptop
		}
	}
	return o
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
	out := make(map[string]string, len(Fields))
	for _, f := range inventory.Fields {
		if f.Synced {
			out[f.Name] = f.Get(&d)
		}
	}
	return out
}

// SetField sets one canonical field on d from its stored string form. A
// value that does not parse, or is longer than the field allows
// (inventory's limits, the same as import's and the TUI's), is an error
// naming the field.
func SetField(d *store.Device, f, v string) error {
	fd, ok := inventory.FieldByName(f)
	if !ok || !fd.Synced {
		return fmt.Errorf("field %s: not a device field", f)
	}
	if err := fd.Check(v); err != nil {
		return fmt.Errorf("field %s: %w", f, err)
	}
	return fd.Set(d, v)
}

// Normalize returns v in the form the store keeps for field f, so that a
// server's "00-09-FB-..." and the store's "00:09:fb:..." compare equal.
// Values that do not parse are returned unchanged.
func Normalize(f, v string) string {
	// A server can send any bytes; the store and the merge compare text.
	v = strings.ToValidUTF8(v, "\uFFFD")
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
		// Only here: d escapes through SetField, and a Device allocated on
		// every call was a fifth of a pull's allocations.
		var d store.Device
		if SetField(&d, f, v) == nil {
			return store.FormatInstant(d.LastSeen.UTC().Truncate(time.Second))
		}
	}
	return v
}
