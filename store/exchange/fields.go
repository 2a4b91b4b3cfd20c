package exchange

import (
	"fmt"
	"strings"
)

// Kind is what a file holds.
type Kind string

// The kinds of inventory file.
const (
	Devices   Kind = "devices"
	Models    Kind = "models"
	Locations Kind = "locations"
)

// Kinds lists the kinds in the order a bundle holds them: rooms and models
// before the devices that refer to them.
var Kinds = []Kind{Locations, Models, Devices}

// ParseKind accepts a kind name, singular or plural.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "devices", "device":
		return Devices, nil
	case "models", "model", "catalog":
		return Models, nil
	case "locations", "location", "rooms", "room":
		return Locations, nil
	}
	return "", fmt.Errorf("exchange: unknown kind %q (want devices, models or locations)", s)
}

// Format is a file format.
type Format string

// The file formats.
const (
	CSV  Format = "csv"
	JSON Format = "json"
)

// ParseFormat accepts a format name.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return CSV, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("exchange: unknown format %q (want csv or json)", s)
}

// field indexes a kind's columns. Device fields first, then model and
// location fields; each kind uses its own subset.
type field uint8

const (
	fAssetTag field = iota
	fSerial
	fManufacturer
	fModel
	fDeviceClass
	fBuilding
	fFloor
	fRoom
	fMAC
	fBLEAddress
	fIP
	fHostname
	fFirmware
	fOS
	fOSVersion
	fLastPM
	fNextPMDue
	fNextAuditDue
	fStatus
	fCMDBID
	fLastAudited
	fLastSeen
	fOwner
	fCMDBVersion
	fLocation // a room key, barcode or name, instead of building/floor/room
	// Models.
	fFDAClass
	fMinFirmware
	fLatestFirmware
	fOSEOL
	fSupportEnd
	fAllowedTags
	fAdvisoryAliases
	// Locations.
	fKey
	fSite
	fName
	fRFShielded
	fBarcode
	fSegments
	numFields
	fIgnore field = 255
)

var fieldNames = [numFields]string{
	fAssetTag: "asset_tag", fSerial: "serial", fManufacturer: "manufacturer", fModel: "model",
	fDeviceClass: "device_class", fBuilding: "building", fFloor: "floor", fRoom: "room", fMAC: "mac",
	fBLEAddress: "ble_address", fIP: "ip", fHostname: "hostname", fFirmware: "firmware_version",
	fOS: "os", fOSVersion: "os_version", fLastPM: "last_pm", fNextPMDue: "next_pm_due",
	fNextAuditDue: "next_audit_due", fStatus: "status", fCMDBID: "cmdb_id", fLastAudited: "last_audited",
	fLastSeen: "last_seen", fOwner: "owner", fCMDBVersion: "cmdb_version", fLocation: "location",
	fFDAClass: "fda_class", fMinFirmware: "min_firmware", fLatestFirmware: "latest_firmware",
	fOSEOL: "os_eol", fSupportEnd: "support_end", fAllowedTags: "allowed_tags",
	fAdvisoryAliases: "advisory_aliases",
	fKey:             "key", fSite: "site", fName: "name", fRFShielded: "rf_shielded", fBarcode: "barcode",
	fSegments: "segments",
}

func (f field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return "ignored"
}

// columns are the canonical columns of each kind, in export order. The
// device columns start with the canonical import header; the ones after
// cmdb_id carry what a round adds, so that an export loses nothing.
var columns = map[Kind][]field{
	Devices: {fAssetTag, fSerial, fManufacturer, fModel, fDeviceClass, fBuilding, fFloor, fRoom, fMAC,
		fBLEAddress, fIP, fHostname, fFirmware, fOS, fOSVersion, fLastPM, fNextPMDue, fNextAuditDue,
		fStatus, fCMDBID, fLastAudited, fLastSeen, fOwner, fCMDBVersion},
	Models: {fManufacturer, fModel, fDeviceClass, fFDAClass, fMinFirmware, fLatestFirmware, fOS,
		fOSEOL, fSupportEnd, fAllowedTags, fAdvisoryAliases},
	Locations: {fKey, fSite, fBuilding, fFloor, fRoom, fName, fRFShielded, fBarcode, fSegments},
}

// CanonicalHeader returns the canonical CSV header of a kind.
func CanonicalHeader(k Kind) []string {
	var out []string
	for _, f := range columns[k] {
		out = append(out, f.String())
	}
	return out
}

// aliases maps normalised column names of common exports to fields, per
// kind; fIgnore marks columns known to carry nothing the inventory keeps
// (prices, purchase orders, free-text notes), which are skipped rather
// than refused.
var aliases = map[Kind]map[string]field{
	Devices: {
		// ServiceNow (cmdb_ci_med_device and its parents).
		"serial_number": fSerial, "mac_address": fMAC, "ip_address": fIP, "host_name": fHostname,
		"dns_name": fHostname, "fqdn": fHostname, "model_id": fModel, "install_status": fStatus,
		"sys_id": fCMDBID, "sys_mod_count": fCMDBVersion, "owned_by": fOwner, "department": fOwner,
		"firmware": fFirmware, "operating_system": fOS, "os_service_pack": fIgnore,
		"last_discovered": fLastSeen, "sys_class_name": fIgnore, "name": fIgnore,
		"sys_created_on": fIgnore, "sys_created_by": fIgnore, "sys_updated_on": fIgnore,
		"sys_updated_by": fIgnore, "operational_status": fIgnore, "short_description": fIgnore,
		"comments": fIgnore, "company": fIgnore, "cost_center": fIgnore, "model_number": fIgnore,
		"discovery_source": fIgnore, "assigned_to": fIgnore, "support_group": fIgnore,
		// Snipe-IT hardware export.
		"id": fCMDBID, "asset_tag": fAssetTag, "serial": fSerial, "category": fDeviceClass,
		"status_label": fStatus, "last_audit": fLastAudited, "last_audit_date": fLastAudited,
		"next_audit_date": fNextAuditDue, "updated_at": fCMDBVersion, "asset_name": fIgnore,
		"model_no": fIgnore, "purchased": fIgnore, "purchase_date": fIgnore,
		"cost": fIgnore, "purchase_cost": fIgnore, "eol": fIgnore, "order_number": fIgnore,
		"supplier": fIgnore, "default_location": fIgnore, "checked_out": fIgnore,
		"checked_out_to": fIgnore, "notes": fIgnore, "warranty": fIgnore, "warranty_months": fIgnore,
		"warranty_expires": fIgnore, "created_at": fIgnore, "requestable": fIgnore, "byod": fIgnore,
		"image": fIgnore, "expected_checkin": fIgnore, "last_checkout": fIgnore,
		// Common spellings.
		"asset": fAssetTag, "assettag": fAssetTag, "asset_number": fAssetTag, "asset_no": fAssetTag,
		"serial_no": fSerial, "serialnumber": fSerial, "sn": fSerial, "make": fManufacturer,
		"vendor": fManufacturer, "manufacturer_name": fManufacturer, "model_name": fModel,
		"class": fDeviceClass, "device_type": fDeviceClass, "type": fDeviceClass,
		"room_number": fRoom, "location_key": fLocation, "room_key": fLocation,
		"mac_addr": fMAC, "macaddress": fMAC, "ble_mac": fBLEAddress, "bluetooth_address": fBLEAddress,
		"bd_addr": fBLEAddress, "ipaddress": fIP, "ipv4": fIP, "ip_addr": fIP,
		"fw_version": fFirmware, "fw": fFirmware, "operating_system_version": fOSVersion,
		"last_pm_date": fLastPM, "last_maintenance": fLastPM, "next_pm": fNextPMDue,
		"next_pm_date": fNextPMDue, "pm_due": fNextPMDue, "next_audit": fNextAuditDue,
		// Not "state": in US exports it is the address's state column.
	},
	Models: {
		"make": fManufacturer, "vendor": fManufacturer, "model_name": fModel, "name": fModel,
		"display_name": fModel, "class": fDeviceClass, "category": fDeviceClass,
		"device_type": fDeviceClass, "fda_device_class": fFDAClass, "regulatory_class": fFDAClass,
		"minimum_firmware": fMinFirmware, "baseline_firmware": fMinFirmware,
		"firmware_baseline": fMinFirmware, "current_firmware": fLatestFirmware,
		"operating_system": fOS, "os_end_of_life": fOSEOL, "os_eol_date": fOSEOL,
		"end_of_support": fSupportEnd, "vendor_support_end": fSupportEnd,
		"segment_tags": fAllowedTags, "allowed_segments": fAllowedTags,
		"aliases": fAdvisoryAliases, "model_aliases": fAdvisoryAliases, "advisory_names": fAdvisoryAliases,
		"model_number": fAdvisoryAliases, "model_no": fAdvisoryAliases,
	},
	Locations: {
		"location_key": fKey, "room_key": fKey, "room_number": fRoom, "display_name": fName,
		"location_name": fName, "description": fName, "shielded": fRFShielded, "rf_shield": fRFShielded,
		"location_barcode": fBarcode, "cidrs": fSegments, "networks": fSegments, "subnets": fSegments,
	},
}

// lookup returns the field a normalised column name means for a kind.
func lookup(k Kind, name string) (field, bool) {
	for _, f := range columns[k] {
		if fieldNames[f] == name {
			return f, true
		}
	}
	if k == Devices && name == "location" {
		return fLocation, true
	}
	f, ok := aliases[k][name]
	return f, ok
}

// fieldByName resolves the target of --map for a kind; "-" ignores.
func fieldByName(k Kind, name string) (field, bool) {
	n := normalize(name)
	if n == "" || name == "-" {
		return fIgnore, true
	}
	f, ok := lookup(k, n)
	if !ok || f == fIgnore {
		return 0, false
	}
	return f, true
}

// normalize turns a column name into its lookup form: lower case,
// separators as single underscores ("MAC Address" -> "mac_address",
// "Model No." -> "model_no").
func normalize(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(h) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		default:
			under = true
		}
	}
	return b.String()
}

// header maps a file's columns to fields for one kind.
type header struct {
	kind   Kind
	fields []field // per column; fIgnore for skipped columns
	has    [numFields]bool
	names  []string // the columns as the file spells them
}

// mapHeader maps columns to fields. user holds --map entries keyed by
// normalised column name.
func mapHeader(k Kind, cols []string, user map[string]string) (*header, error) {
	h := &header{kind: k, fields: make([]field, len(cols)), names: cols}
	var unknown []string
	first := map[field]string{}
	for i, c := range cols {
		n := normalize(c)
		f, ok := fIgnore, true
		if target, mapped := user[n]; mapped {
			f, ok = fieldByName(k, target)
			if !ok {
				return nil, fmt.Errorf("--map %s=%s: %s has no field %q (fields: %s)", c, target, k, target, strings.Join(CanonicalHeader(k), ", "))
			}
		} else if n == "" {
			if strings.TrimSpace(c) != "" {
				unknown = append(unknown, fmt.Sprintf("%q", c))
			}
			// A blank column name (a trailing comma) carries nothing.
		} else {
			f, ok = lookup(k, n)
			if !ok {
				unknown = append(unknown, fmt.Sprintf("%q", c))
				continue
			}
		}
		h.fields[i] = f
		if f == fIgnore {
			continue
		}
		if prev, dup := first[f]; dup {
			return nil, fmt.Errorf("columns %q and %q both mean %s", prev, c, f)
		}
		first[f] = c
		h.has[f] = true
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown column %s for %s (map with --map 'COLUMN=FIELD', or ignore with --map 'COLUMN=-'; fields: %s)",
			strings.Join(unknown, ", "), k, strings.Join(CanonicalHeader(k), ", "))
	}
	switch k {
	case Devices:
		if !h.has[fAssetTag] {
			return nil, fmt.Errorf("no asset_tag column (map one with --map 'COLUMN=asset_tag')")
		}
		if h.has[fLocation] && (h.has[fBuilding] || h.has[fFloor] || h.has[fRoom]) {
			return nil, fmt.Errorf("both a location column and building/floor/room columns; keep one")
		}
		if n := countTrue(h.has[fBuilding], h.has[fFloor], h.has[fRoom]); n != 0 && n != 3 {
			return nil, fmt.Errorf("building, floor and room columns go together")
		}
		if h.has[fManufacturer] != h.has[fModel] {
			return nil, fmt.Errorf("manufacturer and model columns go together")
		}
	case Models:
		if !h.has[fManufacturer] || !h.has[fModel] {
			return nil, fmt.Errorf("a model file needs manufacturer and model columns")
		}
	case Locations:
		if !h.has[fKey] && countTrue(h.has[fBuilding], h.has[fFloor], h.has[fRoom]) != 3 {
			return nil, fmt.Errorf("a location file needs a key column or building, floor and room columns")
		}
	}
	return h, nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// detect guesses a file's kind from its column names: an asset tag means
// devices, manufacturer and model without one mean the catalog, a room key
// or building/floor/room mean locations.
func detect(cols []string, user map[string]string) (Kind, bool) {
	has := func(k Kind, f field) bool {
		for _, c := range cols {
			n := normalize(c)
			if t, ok := user[n]; ok {
				if g, ok := fieldByName(k, t); ok && g == f {
					return true
				}
				continue
			}
			if g, ok := lookup(k, n); ok && g == f {
				return true
			}
		}
		return false
	}
	switch {
	case has(Devices, fAssetTag):
		return Devices, true
	case has(Models, fManufacturer) && has(Models, fModel):
		return Models, true
	case has(Locations, fKey) || (has(Locations, fBuilding) && has(Locations, fFloor) && has(Locations, fRoom)):
		return Locations, true
	}
	return "", false
}

// ParseMap parses --map entries "COLUMN=FIELD" into the form Import takes.
func ParseMap(entries []string) (map[string]string, error) {
	m := map[string]string{}
	for _, e := range entries {
		col, f, ok := strings.Cut(e, "=")
		if !ok || strings.TrimSpace(col) == "" {
			return nil, fmt.Errorf("exchange: --map %q: want COLUMN=FIELD (or COLUMN=- to ignore)", e)
		}
		m[normalize(col)] = strings.TrimSpace(f)
	}
	return m, nil
}
