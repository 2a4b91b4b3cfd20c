package sync

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/store"
)

// ErrUnmappedStatus reports a CMDB status rounds cannot map without
// guessing.
var ErrUnmappedStatus = errors.New("sync: status has no rounds equivalent")

// ErrBareReference reports a reference exported as a sys_id instead of
// its display value.
var ErrBareReference = errors.New("sync: reference without a display value")

var sysID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// IsSysID reports whether v is a bare ServiceNow sys_id.
func IsSysID(v string) bool { return sysID().MatchString(strings.TrimSpace(v)) }

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
	if s, ok := inventory.ParseStatusMeta(v, meta); ok {
		return store.Status(s), nil
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
