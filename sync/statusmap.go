package sync

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

// ErrUnmappedStatus reports a CMDB status rounds cannot map without
// guessing.
var ErrUnmappedStatus = errors.New("sync: status has no rounds equivalent")

// ErrBareReference reports a reference exported as a sys_id instead of
// its display value.
var ErrBareReference = errors.New("sync: reference without a display value")

// snStatus are ServiceNow's install_status choices (cmdb_ci, the base
// system's choice list), by code and by display value: real exports carry
// either, depending on "display values" when exporting.
var snStatus = map[string]store.Status{
	"1": store.StatusInService, "installed": store.StatusInService, "in use": store.StatusInService,
	"2": store.StatusInService, "on order": store.StatusInService,
	"3": store.StatusInRepair, "in maintenance": store.StatusInRepair,
	"4": store.StatusInService, "pending install": store.StatusInService,
	"5": store.StatusInRepair, "pending repair": store.StatusInRepair,
	"6": store.StatusInService, "in stock": store.StatusInService,
	"7": store.StatusRetired, "retired": store.StatusRetired,
	"8": store.StatusMissing, "stolen": store.StatusMissing,
	"100": store.StatusMissing, "absent": store.StatusMissing,
}

// snipeMeta maps Snipe-IT's status meta types (statuslabels.type:
// deployable, pending, undeployable, archived) when the label itself is
// not one rounds knows. "undeployable" covers both broken and lost units,
// so it is not mapped: the label must be mapped with status_map.
var snipeMeta = map[string]store.Status{
	"deployable": store.StatusInService, "pending": store.StatusInService, "archived": store.StatusRetired,
}

// labelMeta matches Snipe-IT's export form "Ready to Deploy (deployable)".
var labelMeta = regexp.MustCompile(`^(.*\S)\s*\((deployable|pending|undeployable|archived)\)$`)

var sysID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// IsSysID reports whether v is a bare ServiceNow sys_id.
func IsSysID(v string) bool { return sysID.MatchString(strings.TrimSpace(v)) }

// ParseStatus maps a status as real CMDB exports write it: rounds' own
// names and their common spellings, ServiceNow install_status codes ("1",
// "7", "100") and display values ("In Stock", "Absent"), Snipe-IT status
// labels with or without their meta type ("Ready to Deploy
// (deployable)"), and meta types alone. meta is the Snipe-IT status meta
// type when the source gives it apart ("" otherwise). Anything else is
// refused with ErrUnmappedStatus, never guessed.
func ParseStatus(v, meta string) (store.Status, error) {
	v = strings.TrimSpace(v)
	if IsSysID(v) {
		return "", fmt.Errorf("%w: status %s is a sys_id; export with display values", ErrBareReference, v)
	}
	label := v
	if m := labelMeta.FindStringSubmatch(v); m != nil {
		label, meta = m[1], m[2]
	}
	if s, ok := store.ParseStatus(label); ok {
		return s, nil
	}
	if s, ok := snStatus[strings.ToLower(label)]; ok {
		return s, nil
	}
	if s, ok := snipeMeta[strings.ToLower(strings.TrimSpace(meta))]; ok {
		return s, nil
	}
	if s, ok := snipeMeta[strings.ToLower(label)]; ok {
		return s, nil
	}
	return "", fmt.Errorf("%w: %q; map it with the target option status_map", ErrUnmappedStatus, inert.String(v))
}

// CheckReference refuses a reference value that is a bare sys_id: stored
// as such, it never matches a catalog entry or an advisory.
func CheckReference(field, v string) error {
	if IsSysID(v) {
		return fmt.Errorf("%w: %s %s is a sys_id; export with display values (or dot-walk to .name)", ErrBareReference, field, v)
	}
	return nil
}
