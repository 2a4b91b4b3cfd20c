package inventory

import (
	"regexp"
	"strings"
	"sync"
)

// Statuses as real CMDB exports write them, beyond rounds' own names:
// ServiceNow install_status codes and display values (the base system's
// choice list of cmdb_ci.install_status) and Snipe-IT status labels with
// their meta type, "Ready to Deploy (deployable)". ParseStatus falls back
// to parseCMDBStatus.

var snInstallStatus = map[string]Status{
	"1": StatusInService, "installed": StatusInService,
	"2": StatusInService, "on order": StatusInService,
	"3": StatusInRepair, "in maintenance": StatusInRepair,
	"4": StatusInService, "pending install": StatusInService,
	"5": StatusInRepair, "pending repair": StatusInRepair,
	"6": StatusInService, "in stock": StatusInService,
	"7": StatusRetired, "retired": StatusRetired,
	"8": StatusMissing, "stolen": StatusMissing,
	"100": StatusMissing, "absent": StatusMissing,
}

// snipeMeta maps Snipe-IT's status meta types. "undeployable" covers both
// broken and lost units, so it is not mapped: such a label is refused
// unless rounds knows the label itself ("Out for Repair").
var snipeMeta = map[string]Status{"deployable": StatusInService, "pending": StatusInService, "archived": StatusRetired}

var labelMeta = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(.*\S)\s*\((deployable|pending|undeployable|archived)\)$`)
})

// ParseStatusMeta is ParseStatus for a Snipe-IT label whose meta type the
// source gives apart (the API's status_meta); meta may be "".
func ParseStatusMeta(label, meta string) (Status, bool) {
	if s, ok := ParseStatus(label); ok {
		return s, true
	}
	s, ok := snipeMeta[strings.ToLower(strings.TrimSpace(meta))]
	return s, ok
}

func parseCMDBStatus(v string) (Status, bool) {
	v = strings.TrimSpace(v)
	if m := labelMeta().FindStringSubmatch(v); m != nil {
		return ParseStatusMeta(m[1], m[2])
	}
	if s, ok := snInstallStatus[strings.ToLower(v)]; ok {
		return s, true
	}
	s, ok := snipeMeta[strings.ToLower(v)]
	return s, ok
}
