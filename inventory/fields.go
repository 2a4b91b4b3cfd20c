package inventory

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Length limits, in characters. A value longer than its field's limit is
// refused wherever it enters: import, sync pull and the TUI. They are
// generous for real data (the longest ServiceNow asset tag field is 40;
// DNS names stop at 253) and keep a hostile file from storing megabytes
// in a field that is shown on one line. docs/inventory.md lists them.
const (
	// MaxAssetTag bounds an asset tag: what a barcode label carries.
	MaxAssetTag = 64
	// MaxName bounds names: manufacturer, model, owner, room names.
	MaxName = 256
	// MaxShort bounds short codes: serials, versions, ids, classes.
	MaxShort = 128
	// MaxAddress bounds network and Bluetooth addresses as written.
	MaxAddress = 64
	// MaxHostname is the DNS limit for a full name.
	MaxHostname = 253
	// MaxDate bounds a date or instant as written.
	MaxDate = 40
	// MaxLocationKey bounds a BUILDING/FLOOR/ROOM key.
	MaxLocationKey = 3*MaxShort + 2
	// MaxNote bounds one note a technician adds (64 KiB).
	MaxNote = 64 << 10
	// MaxSegments bounds a room's written list of network segments.
	MaxSegments = 4096
)

// ErrTooLong reports a value longer than its field allows.
var ErrTooLong = errors.New("inventory: value too long")

// CheckLen returns an error wrapping ErrTooLong when v has more than max
// characters. It counts without allocating and stops early, so that a
// 100 MB value costs nothing to refuse.
func CheckLen(name, v string, max int) error {
	if len(v) <= max {
		return nil // fewer bytes than the limit: fewer characters too
	}
	n := 0
	for i := 0; i < len(v); {
		_, size := utf8.DecodeRuneInString(v[i:])
		i += size
		if n++; n > max {
			return fmt.Errorf("%w: %s has more than %d characters (%s)", ErrTooLong, name, max, FormatSize(int64(len(v))))
		}
	}
	return nil
}

// FormatSize renders a byte count for a person: "812 bytes", "64 KiB",
// "65.0 MiB". Messages about sizes use it so that a 65 MB file is not
// reported by the size of the buffer that stopped reading it.
func FormatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// ValueKind is how a field's stored string is read.
type ValueKind int

// The value kinds.
const (
	// Text is free text kept as written (trimmed by importers).
	Text ValueKind = iota
	// Date is a calendar date, stored as YYYY-MM-DD.
	Date
	// Instant is a moment, stored as RFC 3339 UTC.
	Instant
	// StatusValue is a lifecycle status (ParseStatus).
	StatusValue
	// LocationValue is a BUILDING/FLOOR/ROOM key (ParseLocationKey).
	LocationValue
	// MACValue, BLEValue, IPValue and HostnameValue are identifiers,
	// stored in NormalizeIdent form.
	MACValue
	BLEValue
	IPValue
	HostnameValue
)

// Owner says which side's value wins in a sync when both changed a field.
type Owner int

// The owners.
const (
	// OwnerPerson: neither side wins; a person decides.
	OwnerPerson Owner = iota
	// OwnerCMDB: the CMDB's value wins (catalog, financial and
	// maintenance-planning facts).
	OwnerCMDB
	// OwnerLaptop: the technician's value wins (what was seen in the room).
	OwnerLaptop
)

// Field is one row of the device field table.
type Field struct {
	// Name is the canonical name: the import/export column, the journal's
	// change field and sync's field.
	Name string
	// Column is the devices table column; "" when the value lives
	// elsewhere (manufacturer and model are the catalog entry's, the
	// location the room's key).
	Column string
	Kind   ValueKind
	// MaxLen is the limit in characters of the value as written.
	MaxLen int
	// Journalled fields are recorded in the change journal when they
	// change.
	Journalled bool
	// Synced fields are merged with the CMDB by sync.
	Synced bool
	// Owner wins a sync conflict on the field by default.
	Owner Owner
	// Get returns the value in stored form.
	Get func(d *Device) string
	// Set parses a stored-form value into d; an error names the field.
	Set func(d *Device, v string) error
	// Copy copies the field's value from src to dst exactly (no parsing).
	Copy func(dst, src *Device)
}

// Check returns an error when v is longer than the field allows.
func (f Field) Check(v string) error { return CheckLen(f.Name, v, f.MaxLen) }

func text(get func(*Device) *string) (func(*Device) string, func(*Device, string) error) {
	return func(d *Device) string { return *get(d) },
		func(d *Device, v string) error { *get(d) = v; return nil }
}

func date(name string, get func(*Device) *time.Time) (func(*Device) string, func(*Device, string) error) {
	return func(d *Device) string { return FormatDate(*get(d)) },
		func(d *Device, v string) error {
			if v == "" {
				*get(d) = time.Time{}
				return nil
			}
			t, err := time.Parse(DateLayout, v)
			if err != nil {
				return fmt.Errorf("field %s: %q is not a date (YYYY-MM-DD)", name, v)
			}
			*get(d) = t
			return nil
		}
}

func textField(name, column string, max int, journalled, synced bool, owner Owner, get func(*Device) *string) Field {
	g, s := text(get)
	return Field{Name: name, Column: column, Kind: Text, MaxLen: max, Journalled: journalled, Synced: synced, Owner: owner, Get: g, Set: s,
		Copy: func(dst, src *Device) { *get(dst) = *get(src) }}
}

func identField(name string, kind ValueKind, max int, owner Owner, get func(*Device) *string) Field {
	f := textField(name, name, max, true, true, owner, get)
	f.Kind = kind
	return f
}

func dateField(name string, owner Owner, get func(*Device) *time.Time) Field {
	g, s := date(name, get)
	return Field{Name: name, Column: name, Kind: Date, MaxLen: MaxDate, Journalled: true, Synced: true, Owner: owner, Get: g, Set: s,
		Copy: func(dst, src *Device) { *get(dst) = *get(src) }}
}

// Fields is the device field table. The journalled fields come in journal
// order (the order of a change's fields), which is also sync's order.
var Fields = []Field{
	textField("serial", "serial", MaxShort, true, true, OwnerPerson, func(d *Device) *string { return &d.Serial }),
	textField("manufacturer", "", MaxName, true, true, OwnerCMDB, func(d *Device) *string { return &d.Manufacturer }),
	textField("model", "", MaxName, true, true, OwnerCMDB, func(d *Device) *string { return &d.Model }),
	{Name: "location", Kind: LocationValue, MaxLen: MaxLocationKey, Journalled: true, Synced: true, Owner: OwnerLaptop,
		Get: func(d *Device) string { return d.LocationKey },
		Set: func(d *Device, v string) error {
			if v == "" {
				d.LocationKey = ""
				return nil
			}
			k, err := CanonicalLocationKey(v)
			if err != nil {
				return fmt.Errorf("field location: %q is not BUILDING/FLOOR/ROOM", v)
			}
			d.LocationKey = k
			return nil
		},
		Copy: func(dst, src *Device) { dst.LocationKey = src.LocationKey }},
	{Name: "status", Column: "status", Kind: StatusValue, MaxLen: MaxShort, Journalled: true, Synced: true, Owner: OwnerPerson,
		Get: func(d *Device) string { return string(d.Status) },
		Set: func(d *Device, v string) error {
			s, ok := ParseStatus(v)
			if !ok {
				return fmt.Errorf("field status: unknown status %q", v)
			}
			d.Status = s
			return nil
		},
		Copy: func(dst, src *Device) { dst.Status = src.Status }},
	textField("firmware_version", "firmware_version", MaxShort, true, true, OwnerPerson, func(d *Device) *string { return &d.FirmwareVersion }),
	textField("os", "os", MaxShort, true, true, OwnerPerson, func(d *Device) *string { return &d.OS }),
	textField("os_version", "os_version", MaxShort, true, true, OwnerPerson, func(d *Device) *string { return &d.OSVersion }),
	identField("hostname", HostnameValue, MaxHostname, OwnerLaptop, func(d *Device) *string { return &d.Hostname }),
	identField("ip", IPValue, MaxAddress, OwnerLaptop, func(d *Device) *string { return &d.IP }),
	identField("mac", MACValue, MaxAddress, OwnerLaptop, func(d *Device) *string { return &d.MAC }),
	identField("ble_address", BLEValue, MaxAddress, OwnerLaptop, func(d *Device) *string { return &d.BLEAddress }),
	{Name: "last_seen", Column: "last_seen", Kind: Instant, MaxLen: MaxDate, Journalled: true, Synced: true, Owner: OwnerLaptop,
		Get: func(d *Device) string { return FormatInstant(d.LastSeen) },
		Set: func(d *Device, v string) error {
			if v == "" {
				d.LastSeen = time.Time{}
				return nil
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fmt.Errorf("field last_seen: %q is not an RFC 3339 instant", v)
			}
			d.LastSeen = t
			return nil
		},
		Copy: func(dst, src *Device) { dst.LastSeen = src.LastSeen }},
	dateField("last_audited", OwnerLaptop, func(d *Device) *time.Time { return &d.LastAudited }),
	dateField("next_audit_due", OwnerLaptop, func(d *Device) *time.Time { return &d.NextAuditDue }),
	dateField("last_pm", OwnerCMDB, func(d *Device) *time.Time { return &d.LastPM }),
	dateField("next_pm_due", OwnerCMDB, func(d *Device) *time.Time { return &d.NextPMDue }),
	textField("owner", "owner", MaxName, true, true, OwnerCMDB, func(d *Device) *string { return &d.Owner }),
	textField("cmdb_id", "cmdb_id", MaxShort, true, false, OwnerPerson, func(d *Device) *string { return &d.CMDBID }),
	// Not journalled: the key itself, the catalog's class, the server's
	// version counter.
	textField("asset_tag", "asset_tag", MaxAssetTag, false, false, OwnerPerson, func(d *Device) *string { return &d.AssetTag }),
	textField("device_class", "", MaxShort, false, false, OwnerCMDB, func(d *Device) *string { return &d.DeviceClass }),
	textField("cmdb_version", "cmdb_version", MaxShort, false, false, OwnerCMDB, func(d *Device) *string { return &d.CMDBVersion }),
}

// FieldByName returns the table row of a device field.
func FieldByName(name string) (Field, bool) {
	i, ok := fieldIndex[name]
	if !ok {
		return Field{}, false
	}
	return Fields[i], true
}

var fieldIndex = func() map[string]int {
	m := make(map[string]int, len(Fields))
	for i, f := range Fields {
		m[f.Name] = i
	}
	return m
}()

// CheckDevice returns the first field of d whose value is longer than its
// limit, as an error wrapping ErrTooLong, or nil. Identifiers beyond the
// columns are checked against MaxShort.
func CheckDevice(d *Device) error {
	for _, f := range Fields {
		if err := f.Check(f.Get(d)); err != nil {
			return err
		}
	}
	for _, id := range d.Identifiers {
		if err := CheckLen("identifier "+string(id.Kind), id.Value, MaxName); err != nil {
			return err
		}
	}
	return nil
}

// Location and model limits, by import/export column name.
var (
	// LocationLimits are the limits of a room's fields.
	LocationLimits = map[string]int{"key": MaxLocationKey, "site": MaxName, "building": MaxShort,
		"floor": MaxShort, "room": MaxShort, "name": MaxName, "barcode": MaxShort, "segments": MaxSegments}
	// ModelLimits are the limits of a catalog entry's fields.
	ModelLimits = map[string]int{"manufacturer": MaxName, "model": MaxName, "device_class": MaxShort,
		"fda_class": MaxShort, "min_firmware": MaxShort, "latest_firmware": MaxShort, "os": MaxShort,
		"os_eol": MaxDate, "support_end": MaxDate, "allowed_tags": MaxName * 4,
		"advisory_aliases": MaxName * 4}
)
