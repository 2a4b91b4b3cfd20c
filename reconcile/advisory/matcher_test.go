package advisory

import (
	"strings"
	"testing"
)

func testMatcher(t testing.TB) *Matcher {
	t.Helper()
	a, err := ParseCSAF("icsma.json", []byte(icsma))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRecalls("recall.json", []byte(recallFile))
	if err != nil {
		t.Fatal(err)
	}
	return NewMatcher([]*Advisory{a}, rs)
}

func TestMatch(t *testing.T) {
	m := testMatcher(t)
	type want struct {
		doc     string
		certain bool
		reason  string // substring
	}
	tests := []struct {
		name string
		t    Target
		want []want
	}{
		{"affected range", Target{"Baxter", "Connex Spot Monitor", "1.40", "", nil}, []want{{"ICSMA-24-200-01", true, "in “<=1.52”"}}},
		{"alias vendor", Target{"Welch Allyn, Inc.", "Connex Spot Monitor", "1.52", "", nil}, []want{{"ICSMA-24-200-01", true, "Welch Allyn"}}},
		{"fixed version", Target{"Baxter", "Connex Spot Monitor", "1.53", "", nil}, nil},
		{"unknown firmware", Target{"Baxter", "Connex Spot Monitor", "", "", nil}, []want{{"ICSMA-24-200-01", false, "firmware unknown"}}},
		{"vers range in", Target{"Hill-Rom", "Sigma Spectrum", "8.00.05", "", nil}, []want{{"ICSMA-24-200-01", true, "8.00.05"}}},
		{"vers range out", Target{"Hill-Rom", "Sigma Spectrum", "8.01", "", nil}, nil},
		{"philips letter versions", Target{"Philips Medical Systems", "MX40", "B.06.10", "", nil}, []want{{"ICSMA-24-200-01", true, "prior to B.06.18"}}},
		{"philips fixed", Target{"Philips", "MX40", "B.06.18", "", nil}, nil},
		{"model number helper", Target{"Koninklijke Philips N.V.", "865350", "B.01", "", nil}, []want{{"ICSMA-24-200-01", true, "model number"}}},
		{"relationship platform", Target{"Philips", "IntelliVue Information Center iX", "4.2", "", nil}, []want{{"ICSMA-24-200-01", true, "Windows"}}},
		{"full product name", Target{"GE", "CARESCAPE B450", "1.9", "", nil}, []want{{"ICSMA-24-200-01", true, "names vendor"}}},
		{"full product name fixed", Target{"GE", "CARESCAPE B450", "2.1", "", nil}, nil},
		{"other vendor", Target{"Mindray", "MX40", "1.0", "", nil}, nil},
		{"other model", Target{"Philips", "MX400", "B.01", "", nil}, nil},
		{"recall serial listed", Target{"Hospira", "Plum 360", "15.1", "15012345", nil}, []want{{"Z-1234-2023", true, "serial “15012345” listed"}}},
		{"recall serial not listed", Target{"ICU Medical", "Plum 360", "15.1", "99", nil}, []want{{"Z-1234-2023", false, "not among them"}}},
		{"recall all lots", Target{"BD", "Alaris 8100", "", "X1", nil}, []want{{"Z-0999-2022", true, "CareFusion"}}},
		{"recall other model", Target{"BD", "Alaris 8015", "", "X1", nil}, nil},
		{"recall words in another order", Target{"Becton Dickinson", "Alaris 8100 Pump Module", "", "X1", nil}, []want{{"Z-0999-2022", true, "words all in the product description"}}},
		{"no vendor", Target{"", "MX40", "1", "", nil}, nil},
	}
	for _, tt := range tests {
		got := m.Match(tt.t)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d hits %+v, want %d", tt.name, len(got), got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			h := got[i]
			if h.Document != w.doc || h.Certain != w.certain || !strings.Contains(h.Reason, w.reason) {
				t.Errorf("%s: hit %s certain=%v reason %q; want %s certain=%v reason ~%q", tt.name, h.Document, h.Certain, h.Reason, w.doc, w.certain, w.reason)
			}
		}
	}
}

func TestMatchCarriesEvidence(t *testing.T) {
	m := testMatcher(t)
	hs := m.Match(Target{"Baxter", "Connex Spot Monitor", "1.0", "", nil})
	if len(hs) != 1 {
		t.Fatalf("hits = %+v", hs)
	}
	h := hs[0]
	if h.CVSS != 8.8 || len(h.CVEs) != 1 || h.CVEs[0] != "CVE-2024-6795" || h.Remediation == "" || h.URL == "" || h.Version != "<=1.52" {
		t.Errorf("hit = %+v", h)
	}
}
