package reconcile

import (
	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/scan"
)

// Kind is the kind of a finding.
type Kind string

// The finding kinds, in the order a technician reviews them.
const (
	// Verified: expected in this room and seen here.
	Verified Kind = "verified"
	// Missing: expected here, could have been seen, was not.
	Missing Kind = "missing"
	// Unverified: expected here but could not be seen by the sweeps that
	// ran (RF-shielded room, BLE-only device without a BLE sweep, ...).
	Unverified Kind = "unverified"
	// MovedHere: seen here, recorded in another room.
	MovedHere Kind = "moved_here"
	// Unknown: seen here, not in the inventory.
	Unknown Kind = "unknown"
	// HeardNearby: a BLE advertiser heard too weakly or briefly to be in
	// this room.
	HeardNearby Kind = "heard_nearby"
)

// Kinds lists the finding kinds in review order.
var Kinds = []Kind{Verified, Missing, Unverified, MovedHere, Unknown, HeardNearby}

// FlagKind is the kind of a flag on a device.
type FlagKind string

// The flag kinds.
const (
	FirmwareBelowMin  FlagKind = "firmware_below_min"
	FirmwareBehind    FlagKind = "firmware_behind"
	OSEndOfLife       FlagKind = "os_eol"
	SupportEnded      FlagKind = "support_ended"
	PMOverdue         FlagKind = "pm_overdue"
	AuditOverdue      FlagKind = "audit_overdue"
	AdvisoryMatch     FlagKind = "advisory"
	RecallMatch       FlagKind = "recall"
	Segmentation      FlagKind = "segmentation"
	DuplicateIdentity FlagKind = "duplicate_identity"
)

// FlagKinds lists every flag kind, for views that prepare one rendering
// per kind.
var FlagKinds = []FlagKind{FirmwareBelowMin, FirmwareBehind, OSEndOfLife, SupportEnded, PMOverdue,
	AuditOverdue, AdvisoryMatch, RecallMatch, Segmentation, DuplicateIdentity}

// Severity orders flags for display.
type Severity int

// The severities.
const (
	Info Severity = iota
	Warning
	Critical
)

// Flag is one problem on a device, with the evidence that raised it.
type Flag struct {
	Kind     FlagKind `json:"kind"`
	Severity Severity `json:"severity"`
	// Rule names the rule that fired, for example "firmware < model minimum".
	Rule string `json:"rule"`
	// Evidence holds the values compared, for example
	// {"firmware": "2.1.0", "min_firmware": "3.0"}. Treat it as read-only:
	// flags of the same advisory on units of one model share the map.
	Evidence map[string]string `json:"evidence,omitempty"`
	// Document identifies the advisory or recall (CSAF tracking id such as
	// "ICSMA-24-123-01", FDA recall number), with a link when known.
	Document string `json:"document,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Match says how an observation was tied to an inventory record.
type Match struct {
	// By is the identifier kind that matched.
	By inventory.IdentKind `json:"by"`
	// Value is the matched identifier value.
	Value string `json:"value"`
	// Confidence is in [0, 1]: 0.99 for a MAC or serial, lower for IP and
	// BLE name patterns. It is shown to the user.
	Confidence float64 `json:"confidence"`
	// Reason lists the identifiers that agreed ("MAC 00:09:fb:..; also
	// hostname mon-3w-12").
	Reason string `json:"reason,omitempty"`
	// Conflicts lists weaker identifiers that point at other records
	// ("IP 10.3.12.40 is also recorded for BME-0002"): stale records to
	// fix, not followed.
	Conflicts []string `json:"conflicts,omitempty"`
}

// Candidate is a guess at the catalog model of an unknown device.
type Candidate struct {
	Manufacturer string  `json:"manufacturer"`
	Model        string  `json:"model"`
	Score        float64 `json:"score"`
	Reason       string  `json:"reason"`
	// ReportedModel says the device's own reported model (UPnP, SNMP
	// ENTITY-MIB, BLE DIS) matched this catalog model.
	ReportedModel bool `json:"reported_model,omitempty"`
}

// Finding is one line of a room visit's review.
type Finding struct {
	Kind Kind `json:"kind"`
	// Device is the inventory record: the expected device (verified,
	// missing, unverified) or the matched one (moved here, heard nearby
	// when matched). Nil for unknown devices.
	Device *inventory.Device `json:"device,omitempty"`
	// Observations are what was seen; empty for missing and unverified.
	Observations []scan.Observation `json:"observations,omitempty"`
	Match        *Match             `json:"match,omitempty"`
	Flags        []Flag             `json:"flags,omitempty"`
	// Reason explains the kind in words, for example "RF-shielded room:
	// no sweep can see inside" or "recorded in MAIN/3/3W-14".
	Reason string `json:"reason,omitempty"`
	// Candidates are the best model guesses for an unknown device.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Suggested is the catalog model to offer when the technician adopts
	// an unknown unit: the best candidate that the model the device
	// reported itself matched. Nil when it reported none or none matched.
	Suggested *Candidate `json:"suggested,omitempty"`
	// Claimants are the inventory records that all claim the identifier
	// of what was seen (a duplicate identity); no device is chosen.
	Claimants []inventory.Device `json:"claimants,omitempty"`
}
