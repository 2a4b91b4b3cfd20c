package inventory

import (
	"net/netip"
	"strings"
	"time"
)

// DateLayout is the stored form of calendar dates.
const DateLayout = "2006-01-02"

// Location is a room. Key is BUILDING/FLOOR/ROOM, stable across renames of
// the display name.
type Location struct {
	ID         int64     `json:"-"`
	Key        string    `json:"key"`
	Site       string    `json:"site,omitempty"`
	Building   string    `json:"building"`
	Floor      string    `json:"floor"`
	Room       string    `json:"room"`
	Name       string    `json:"name,omitempty"`
	RFShielded bool      `json:"rf_shielded,omitempty"`
	Barcode    string    `json:"barcode,omitempty"`
	Segments   []Segment `json:"segments,omitempty"`
}

// Segment is a network segment configured for a room, with the tags that
// say what it is for ("clinical", "imaging", "guest", ...).
type Segment struct {
	CIDR netip.Prefix `json:"cidr"`
	Tags []string     `json:"tags,omitempty"`
}

// Model is a catalog entry: what a model is and the baselines it must meet.
type Model struct {
	ID             int64  `json:"-"`
	Manufacturer   string `json:"manufacturer"`
	Model          string `json:"model"`
	DeviceClass    string `json:"device_class,omitempty"`
	FDAClass       string `json:"fda_class,omitempty"`
	MinFirmware    string `json:"min_firmware,omitempty"`
	LatestFirmware string `json:"latest_firmware,omitempty"`
	OS             string `json:"os,omitempty"`
	// OSEOL and SupportEnd are zero when unknown.
	OSEOL      time.Time `json:"os_eol,omitzero"`
	SupportEnd time.Time `json:"support_end,omitzero"`
	// AllowedTags are the segment tags devices of this model may sit on;
	// empty means no restriction is known.
	AllowedTags []string `json:"allowed_tags,omitempty"`
	// AdvisoryAliases are other names advisories use for this model (its
	// marketing name, its model number, a former name); the advisory
	// matcher tries each like the model itself.
	AdvisoryAliases []string `json:"advisory_aliases,omitempty"`
}

// Status is a device's lifecycle state.
type Status string

// The device statuses.
const (
	StatusInService Status = "in_service"
	StatusMissing   Status = "missing"
	StatusInRepair  Status = "in_repair"
	StatusLoaned    Status = "loaned"
	StatusRetired   Status = "retired"
	StatusDisposed  Status = "disposed"
)

// Statuses lists the valid statuses.
var Statuses = []Status{StatusInService, StatusMissing, StatusInRepair, StatusLoaned, StatusRetired, StatusDisposed}

// ParseStatus accepts the stored names and common CMDB spellings
// ("In Service", "in use", "Ready to Deploy", "Archived", ...).
func ParseStatus(s string) (Status, bool) {
	n := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch n {
	case "", "in_service", "active", "in_use", "deployed", "ready_to_deploy", "installed", "operational":
		return StatusInService, true
	case "missing", "lost", "lost/stolen", "stolen":
		return StatusMissing, true
	case "in_repair", "repair", "out_for_repair", "in_maintenance", "pending_repair":
		return StatusInRepair, true
	case "loaned", "on_loan":
		return StatusLoaned, true
	case "retired", "archived", "decommissioned", "out_of_service":
		return StatusRetired, true
	case "disposed", "disposal", "scrapped":
		return StatusDisposed, true
	}
	return parseCMDBStatus(s) // ServiceNow codes, Snipe-IT "Label (meta)"
}

// Device is one inventoried unit. Manufacturer, Model and DeviceClass come
// from the catalog entry (ModelID); LocationKey from the location.
type Device struct {
	ID              int64  `json:"-"`
	AssetTag        string `json:"asset_tag"`
	Serial          string `json:"serial,omitempty"`
	ModelID         int64  `json:"-"`
	Manufacturer    string `json:"manufacturer,omitempty"`
	Model           string `json:"model,omitempty"`
	DeviceClass     string `json:"device_class,omitempty"`
	LocationID      int64  `json:"-"`
	LocationKey     string `json:"location,omitempty"`
	Status          Status `json:"status"`
	FirmwareVersion string `json:"firmware_version,omitempty"`
	OS              string `json:"os,omitempty"`
	OSVersion       string `json:"os_version,omitempty"`
	Hostname        string `json:"hostname,omitempty"`
	IP              string `json:"ip,omitempty"`
	MAC             string `json:"mac,omitempty"`
	BLEAddress      string `json:"ble_address,omitempty"`
	// LastSeen is an instant; the other dates are calendar dates. Zero
	// means unknown.
	LastSeen     time.Time `json:"last_seen,omitzero"`
	LastAudited  time.Time `json:"last_audited,omitzero"`
	NextAuditDue time.Time `json:"next_audit_due,omitzero"`
	LastPM       time.Time `json:"last_pm,omitzero"`
	NextPMDue    time.Time `json:"next_pm_due,omitzero"`
	Owner        string    `json:"owner,omitempty"`
	CMDBID       string    `json:"cmdb_id,omitempty"`
	CMDBVersion  string    `json:"cmdb_version,omitempty"`
	// Revision counts local changes to the record.
	Revision int64 `json:"revision"`
	// Identifiers beyond the columns above (BLE name patterns, UDIs, extra
	// MACs), loaded only by calls that say so.
	Identifiers []Identifier `json:"identifiers,omitempty"`
}

// IdentKind is a kind of identifier.
type IdentKind string

// The identifier kinds. MAC, serial and UDI are unique across devices.
const (
	IdentMAC        IdentKind = "mac"
	IdentBLEAddress IdentKind = "ble_address"
	IdentBLEName    IdentKind = "ble_name"
	IdentSerial     IdentKind = "serial"
	IdentHostname   IdentKind = "hostname"
	IdentIP         IdentKind = "ip"
	IdentUDI        IdentKind = "udi"
	IdentCMDBID     IdentKind = "cmdb_id"
)

// Identifier is one way a device can be recognised.
type Identifier struct {
	Kind  IdentKind `json:"kind"`
	Value string    `json:"value"`
}

// FormatDate renders a calendar date in stored form, "" for zero.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(DateLayout)
}

// FormatInstant renders an instant in stored form (RFC 3339 UTC), "" for
// zero.
func FormatInstant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
