package store

import (
	"time"

	"github.com/biomed-rounds/rounds/inventory"
)

// The domain types live in package inventory; these aliases keep the
// store's API (and its callers) unchanged.
type (
	// Location is inventory.Location.
	Location = inventory.Location
	// Segment is inventory.Segment.
	Segment = inventory.Segment
	// Model is inventory.Model.
	Model = inventory.Model
	// Status is inventory.Status.
	Status = inventory.Status
	// Device is inventory.Device.
	Device = inventory.Device
	// IdentKind is inventory.IdentKind.
	IdentKind = inventory.IdentKind
	// Identifier is inventory.Identifier.
	Identifier = inventory.Identifier
)

// DateLayout is the stored form of calendar dates.
const DateLayout = inventory.DateLayout

// The device statuses (inventory's).
const (
	StatusInService = inventory.StatusInService
	StatusMissing   = inventory.StatusMissing
	StatusInRepair  = inventory.StatusInRepair
	StatusLoaned    = inventory.StatusLoaned
	StatusRetired   = inventory.StatusRetired
	StatusDisposed  = inventory.StatusDisposed
)

// Statuses lists the valid statuses.
var Statuses = inventory.Statuses

// The identifier kinds (inventory's).
const (
	IdentMAC        = inventory.IdentMAC
	IdentBLEAddress = inventory.IdentBLEAddress
	IdentBLEName    = inventory.IdentBLEName
	IdentSerial     = inventory.IdentSerial
	IdentHostname   = inventory.IdentHostname
	IdentIP         = inventory.IdentIP
	IdentUDI        = inventory.IdentUDI
	IdentCMDBID     = inventory.IdentCMDBID
)

// ParseStatus is inventory.ParseStatus.
func ParseStatus(s string) (Status, bool) { return inventory.ParseStatus(s) }

// LocationKey is inventory.LocationKey.
func LocationKey(building, floor, room string) string {
	return inventory.LocationKey(building, floor, room)
}

// NormalizeIdent is inventory.NormalizeIdent: the stored form of an
// identifier value.
func NormalizeIdent(kind IdentKind, v string) string { return inventory.NormalizeIdent(kind, v) }

// FormatDate renders a calendar date in stored form, "" for zero.
func FormatDate(t time.Time) string { return inventory.FormatDate(t) }

// FormatInstant renders an instant in stored form (RFC 3339 UTC), "" for
// zero.
func FormatInstant(t time.Time) string { return inventory.FormatInstant(t) }

// Op is the kind of a journalled change.
type Op string

// The journal operations.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpAudit  Op = "audit"
	OpNote   Op = "note"
)

// Change is one field's old and new value, in stored (string) form.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// EntryState is the delivery state of a journal entry.
type EntryState string

// The journal entry states.
const (
	StatePending  EntryState = "pending"
	StateInFlight EntryState = "inflight"
	StateAcked    EntryState = "acked"
	StateConflict EntryState = "conflict"
	StateRejected EntryState = "rejected"
)

// Entry is one journal entry: an ordered, append-only record of a local
// change that sync will deliver.
type Entry struct {
	Seq           int64      `json:"seq"`
	IdempotencyID string     `json:"idempotency_id"`
	DeviceID      int64      `json:"-"`
	AssetTag      string     `json:"asset_tag"`
	Op            Op         `json:"op"`
	Changes       []Change   `json:"changes"`
	At            time.Time  `json:"at"`
	Actor         string     `json:"actor"`
	State         EntryState `json:"state"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	RemoteRef     string     `json:"remote_ref,omitempty"`
}
