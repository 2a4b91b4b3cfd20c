package advisory

import (
	"slices"
	"strings"
	"testing"
)

// TestModelsInVersion: model numbers CISA wrote in a version branch
// become model identity, versions stay versions (issue 10 item 7 remainder:
// "24950" in ICSMA-19-080-01, "2131 and 2141" in ICSMA-19-029-01). Each
// row is a real version branch and full product name from testdata/icsma.
func TestModelsInVersion(t *testing.T) {
	for _, tt := range []struct {
		v, full string
		want    []string
	}{
		// Models, labelled or bare model numbers.
		{"2131 and 2141", "InTouch ICU Bed (enabled with Bed Wireless): Models 2131 and 2141", []string{"2131", "2141"}},
		{"3002", "Secure II MedSurg Bed (enabled with iBed Wireless): Model 3002", []string{"3002"}},
		{"3002 S3 | 3005 S3", "S3 MedSurg Bed (enabled with iBed Wireless): Models 3002 S3 and 3005 S3", []string{"3002 S3", "3005 S3"}},
		{"24950 | 24952", "MyCareLink Monitor: Versions 24950 and 24952", []string{"24950", "24952"}},
		{"2490C", "CareLink Monitor: Version 2490C", []string{"2490C"}},
		{"3120", "ZOOM LATITUDE Programmer/Recorder/Monitor Model 3120 - Boston Scientific reports these vulnerabilities affects the ZOOM LATITUDE Programmer/Recorder/Monitor (PRM) Model 3120", []string{"3120"}},
		// Versions.
		{"8", "Natus Xltek NeuroWorks: Version 8", nil},
		{"A10 | A11", "Data module compactplus: software Versions A10 and A11 (not distributed in the United States)", nil},
		{"BT02 | BT03 | BT04 | BT06", "LOGIQ 9: BT02 | BT03 | BT04 | BT06", nil},
		{"<= 9.33", "Alaris 8015 PC unit: <= 9.33", nil},
		{"2.3.6", "Alaris GS: Model 2.3.6", nil},        // a dot is a version, whatever the label
		{"123", "Pump: Version 123", nil},               // too short to be a bare model number
		{"2019 build", "Server: Model 2019 build", nil}, // prose
		{"", "Anything: Model 1234", nil},
	} {
		got := modelsInVersion(tt.v, tt.full)
		if !slices.Equal(got, tt.want) {
			t.Errorf("modelsInVersion(%q, %q) = %q, want %q", tt.v, tt.full, got, tt.want)
		}
	}
}

// TestModelsInVersionMatch: on the real files, the devices those model
// numbers name are certain whatever their firmware, and sibling models
// not listed are not.
func TestModelsInVersionMatch(t *testing.T) {
	m := realMatcher(t)
	for _, c := range []seenCase{
		{"MyCareLink 24950", Target{Vendor: "Medtronic", Model: "MyCareLink Monitor 24950"}, "ICSMA-19-080-01", "certain"},
		{"MyCareLink 24952 with firmware", Target{Vendor: "Medtronic", Model: "MyCareLink Monitor 24952", Firmware: "3.1"}, "ICSMA-19-080-01", "certain"},
		{"CareLink Monitor 2490C", Target{Vendor: "Medtronic", Model: "CareLink Monitor 2490C"}, "ICSMA-19-080-01", "certain"},
		{"InTouch 2131", Target{Vendor: "Stryker", Model: "InTouch ICU Bed 2131"}, "ICSMA-19-029-01", "certain"},
		{"InTouch 2141", Target{Vendor: "Stryker", Model: "InTouch ICU Bed model 2141"}, "ICSMA-19-029-01", "certain"},
		{"InTouch not listed", Target{Vendor: "Stryker", Model: "InTouch ICU Bed 2151"}, "ICSMA-19-029-01", "possible"},
		{"S3 3005", Target{Vendor: "Stryker", Model: "S3 MedSurg Bed 3005 S3"}, "ICSMA-19-029-01", "certain"},
		{"NeuroWorks 8", Target{Vendor: "Natus", Model: "Xltek NeuroWorks", Firmware: "8"}, "ICSMA-18-165-01", "certain"},
		// A version stays a version: NeuroWorks 9 is outside "Version 8".
		{"NeuroWorks 9", Target{Vendor: "Natus", Model: "Xltek NeuroWorks", Firmware: "9"}, "ICSMA-18-165-01", "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := hitLevel(m.Match(c.target), c.doc); got != c.want {
				t.Errorf("%s: %s, want %s", c.doc, got, c.want)
			}
		})
	}
}

// FuzzModelsInVersion: on any version branch and full product name, no
// panic, and no value with a range operator or a dot is ever taken for a
// model; every model returned is written in the version branch.
func FuzzModelsInVersion(f *testing.F) {
	for _, s := range [][2]string{
		{"2131 and 2141", "InTouch ICU Bed (enabled with Bed Wireless): Models 2131 and 2141"},
		{"24950 | 24952", "MyCareLink Monitor: Versions 24950 and 24952"},
		{"3002 S3 | 3005 S3", "S3 MedSurg Bed (enabled with iBed Wireless): Models 3002 S3 and 3005 S3"},
		{"A10 | A11", "Data module compactplus: software Versions A10 and A11"},
		{">= 1.1 | <= 1.3.2", "Model 1.1"},
		{"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, v, full string) {
		if len(v) > 512 || len(full) > 1024 {
			return
		}
		for _, m := range modelsInVersion(v, full) {
			if strings.ContainsAny(m, "<>=*.") {
				t.Fatalf("%q in %q taken for a model", m, v)
			}
			if !strings.Contains(v, m) {
				t.Fatalf("model %q not written in %q", m, v)
			}
		}
	})
}
