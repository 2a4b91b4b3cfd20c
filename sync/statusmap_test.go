package sync

import (
	"errors"
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

// Item 18: statuses as real exports write them.
func TestParseStatusRealExports(t *testing.T) {
	tests := []struct {
		v, meta string
		want    store.Status
		err     error
	}{
		{"1", "", store.StatusInService, nil},
		{"7", "", store.StatusRetired, nil},
		{"100", "", store.StatusMissing, nil},
		{"In Stock", "", store.StatusInService, nil},
		{"Absent", "", store.StatusMissing, nil},
		{"In Maintenance", "", store.StatusInRepair, nil},
		{"Ready to Deploy (deployable)", "", store.StatusInService, nil},
		{"Archived (archived)", "", store.StatusRetired, nil},
		{"Awaiting QA (pending)", "", store.StatusInService, nil},
		{"Out for Repair (undeployable)", "", store.StatusInRepair, nil},
		{"Broken (undeployable)", "", "", ErrUnmappedStatus},
		{"Storage Room B", "archived", store.StatusRetired, nil},
		{"Storage Room B", "", "", ErrUnmappedStatus},
		{"8d4c1b6fdb2a1010a1b2c3d4e5f60718", "", "", ErrBareReference},
		{"in_service", "", store.StatusInService, nil},
	}
	for _, tt := range tests {
		got, err := ParseStatus(tt.v, tt.meta)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParseStatus(%q, %q) = %q, %v; want %q, %v", tt.v, tt.meta, got, err, tt.want, tt.err)
		}
	}
}

func TestCheckReference(t *testing.T) {
	if err := CheckReference("location", "8d4c1b6fdb2a1010a1b2c3d4e5f60718"); !errors.Is(err, ErrBareReference) {
		t.Errorf("sys_id accepted: %v", err)
	}
	if err := CheckReference("location", "MAIN/3/3W-12"); err != nil {
		t.Error(err)
	}
}
