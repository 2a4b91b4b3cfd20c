package inventory

import "testing"

// Issue 13 item 18: statuses of real ServiceNow and Snipe-IT exports.
func TestParseStatusRealExports(t *testing.T) {
	tests := []struct {
		in   string
		want Status
		ok   bool
	}{
		{"1", StatusInService, true}, {"7", StatusRetired, true}, {"100", StatusMissing, true},
		{"In Stock", StatusInService, true}, {"Absent", StatusMissing, true}, {"Pending Repair", StatusInRepair, true},
		{"Ready to Deploy (deployable)", StatusInService, true}, {"Archived (archived)", StatusRetired, true},
		{"Out for Repair (undeployable)", StatusInRepair, true}, {"Broken (undeployable)", "", false},
		{"Massachusetts", "", false}, {"42", "", false},
	}
	for _, tt := range tests {
		if got, ok := ParseStatus(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
