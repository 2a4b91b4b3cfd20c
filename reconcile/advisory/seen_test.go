package advisory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file reproduce issue 10's "What was seen" items on
// the real CISA and openFDA files in testdata; each failed on the matcher
// before the product-identity rewrite.

func realMatcher(t *testing.T) *Matcher {
	t.Helper()
	files, err := filepath.Glob("testdata/icsma/*.json")
	if err != nil || len(files) != 134 {
		t.Fatalf("testdata/icsma: %d files, %v", len(files), err)
	}
	var advs []*Advisory
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseCSAF(filepath.Base(f), b)
		if err != nil {
			t.Fatal(err)
		}
		advs = append(advs, a)
	}
	return NewMatcher(advs, realRecalls(t))
}

func realRecalls(t *testing.T) []Recall {
	t.Helper()
	files, _ := filepath.Glob("testdata/openfda/enforcement-*.json")
	var out []Recall
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ParseRecalls(filepath.Base(f), b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rs...)
	}
	return out
}

type seenCase struct {
	name   string
	target Target
	doc    string
	// want: "certain", "possible" or "none".
	want string
}

func hitLevel(hs []Hit, doc string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Document, doc) {
			if h.Certain {
				return "certain"
			}
			return "possible"
		}
	}
	return "none"
}

func TestSeenInRealAdvisories(t *testing.T) {
	m := realMatcher(t)
	tests := []seenCase{
		// 1. ">= 6.0.0 | <= 6.3.1" is the interval, not "any version".
		{"1 paired range outside", Target{"Hillrom", "Welch Allyn Q-Stress", "6.4.0", "", nil}, "ICSMA-21-343-01", "none"},
		{"1 paired range inside", Target{"Hillrom", "Welch Allyn Q-Stress", "6.3.1", "", nil}, "ICSMA-21-343-01", "certain"},
		{"1 Alaris Infusion Central outside", Target{"BD", "Alaris Infusion Central", "1.4", "", nil}, "ICSMA-23-047-01", "none"},
		// 2. A server product does not cover the pumps; a central station
		// is not a telemetry server.
		{"2 server vs pump", Target{"BD", "Alaris 8015 PC Unit", "1.2", "", nil}, "ICSMA-23-047-01", "none"},
		{"2 central station vs telemetry server", Target{"GE Healthcare", "CARESCAPE Central Station", "4.2", "", nil}, "ICSMA-20-023-01", "none"},
		// 3. The workstation is not the pump listed under its family.
		{"3 family joined", Target{"BD", "Alaris Gateway Workstation", "2.3.6", "", nil}, "ICSMA-19-164-01", "none"},
		{"3 workstation own versions", Target{"BD", "Alaris Gateway Workstation", "1.1.6", "", nil}, "ICSMA-19-164-01", "certain"},
		// 4. Exclusions are honoured; the product lines are matched.
		{"4 excluded LOGIQ", Target{"GE Healthcare", "LOGIQ 100 Pro", "", "", nil}, "ICSMA-20-049-02", "none"},
		{"4 LOGIQ E10", Target{"GE Healthcare", "LOGIQ E10", "", "", nil}, "ICSMA-20-049-02", "certain"},
		{"4 Vivid E95", Target{"GE Healthcare", "Vivid E95", "", "", nil}, "ICSMA-20-049-02", "certain"},
		{"4 Venue Go", Target{"GE Healthcare", "Venue Go", "", "", nil}, "ICSMA-20-049-02", "certain"},
		{"4 excluded EchoPAC", Target{"GE Healthcare", "EchoPAC", "", "", nil}, "ICSMA-20-049-02", "none"},
		// 6. Philips two-part versions, 5.x.x, <= 12.2.x.x, < 3.x, <= 11.x,
		// a model number inside the version.
		{"6 B.02", Target{"Philips", "IntelliVue Information Center iX", "B.02", "", nil}, "ICSMA-18-233-01", "certain"},
		{"6 <= B.12 inside", Target{"Philips", "IntelliBridge Enterprise", "B.12", "", nil}, "ICSMA-20-163-01", "certain"},
		{"6 <= B.12 outside", Target{"Philips", "IntelliBridge Enterprise", "C.01", "", nil}, "ICSMA-20-163-01", "none"},
		{"6 5.x.x", Target{"Philips", "MRI 1.5T", "5.3.1", "", nil}, "ICSMA-21-313-01", "certain"},
		{"6 <= 12.2.x.x", Target{"Philips", "Vue PACS", "12.2.9.1", "", nil}, "ICSMA-21-187-01", "certain"},
		{"6 < 3.x outside", Target{"Baxter", "PrisMax", "3.0", "", nil}, "ICSMA-20-170-02", "none"},
		{"6 <= 11.x", Target{"Change Healthcare", "Horizon Cardiology", "11.4", "", nil}, "ICSMA-19-241-01", "certain"},
		{"6 model in version", Target{"Baxter", "Sigma Spectrum 35700BAX", "6.05", "", nil}, "ICSMA-22-251-01", "certain"},
		{"6 model in version, other version", Target{"Baxter", "Sigma Spectrum 35700BAX", "7.0", "", nil}, "ICSMA-22-251-01", "none"},
		// 7. Model ranges, vendor names inside product names, model
		// numbers against marketing names, CISA's "Phillips".
		{"7 model range", Target{"Philips", "IntelliVue MX450", "M.00.03", "", nil}, "ICSMA-20-254-01", "certain"},
		{"7 outside model range", Target{"Philips", "IntelliVue MX40", "M.00.03", "", nil}, "ICSMA-20-254-01", "none"},
		{"7 vendor in product name", Target{"Baxter", "Spectrum IQ 35700BAX3", "9.0.1", "", nil}, "ICSMA-20-170-04", "certain"},
		{"7 PCU 8015", Target{"BD", "Alaris PC Unit 8015", "12.1.3", "", nil}, "ICSMA-23-194-01", "certain"},
		{"7 Phillips", Target{"Philips", "IntelliSpace Cardiovascular", "2.3.0", "", nil}, "ICSMA-18-025-01", "certain"},
		// 8. Alcon Laboratories is Alcon Research (the recall's firm).
		// The recall lists serial numbers and this device gives none:
		// possible (before: no flag at all).
		{"8 Alcon alias", Target{"Alcon Laboratories", "Constellation Vision System", "", "", nil}, "Z-0099-2024", "possible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := m.Match(tt.target)
			if got := hitLevel(hs, tt.doc); got != tt.want {
				var rs []string
				for _, h := range hs {
					if strings.EqualFold(h.Document, tt.doc) {
						rs = append(rs, h.Reason)
					}
				}
				t.Errorf("%+v on %s: %s, want %s %v", tt.target, tt.doc, got, tt.want, rs)
			}
		})
	}
}

// Item 5 is a range form (reconcile/version TestRangeSeenInCISA); here it
// is checked end to end through a product.
func TestSeenVersUpperBound(t *testing.T) {
	p := Product{Version: "vers:all/>=V3.0.1<V3.0.3"}
	r, ok := p.Range()
	if !ok {
		t.Fatal("not understood")
	}
	if in, _ := r.ContainsString("3.0.3"); in {
		t.Errorf("%s contains 3.0.3", r)
	}
	p = Product{Version: "All Versions < SE2020MP13"}
	if r, ok = p.Range(); !ok || r.All {
		t.Fatalf("%q read as %s (all=%v)", p.Version, r, r.All)
	}
}

// Item 8: recalls on the real openFDA files.
func TestSeenRecalls(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata/openfda", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A food enforcement report is refused, with a reason naming it.
	_, err := Parse("food.json", read("food-enforcement-F-1000-2019.json"))
	if !errors.Is(err, ErrNotDevice) || !strings.Contains(err.Error(), "Food") {
		t.Errorf("food report: err = %v, want ErrNotDevice naming Food", err)
	}
	// A bare device/recall record (no results envelope) is accepted.
	d, err := Parse("bare.json", read("device-recall-reference-example-Z-0359-2013.json"))
	if err != nil || len(d.Recalls) != 1 || d.Recalls[0].ID != "Z-0359-2013" {
		t.Errorf("bare record: %+v, %v", d.Recalls, err)
	}
	// One bad record is skipped and counted; the others are read.
	mixed := []byte(`{"results": [{"recall_number": "Z-1", "recalling_firm": "X", "product_description": "Pump 1"},
		{"recalling_firm": "X", "product_description": "no id"}, {"recall_number": 7},
		{"recall_number": "Z-2", "recalling_firm": "X", "product_description": "Pump 2"}]}`)
	d, err = Parse("mixed.json", mixed)
	if err != nil || len(d.Recalls) != 2 || len(d.Skipped) != 2 {
		t.Errorf("mixed: %d recalls, skipped %q, %v; want 2 and 2 skipped", len(d.Recalls), d.Skipped, err)
	}
	for _, s := range d.Skipped {
		if !strings.Contains(s, "mixed.json: results[") {
			t.Errorf("skip message %q does not name the file and record", s)
		}
	}
	// Severity by class.
	for _, c := range []struct{ class, want string }{{"Class I", "critical"}, {"Class II", "warning"}, {"Class III", "notice"}, {"", "critical"}} {
		r := Recall{Class: c.class}
		if got := r.Severity(); got != c.want {
			t.Errorf("class %q: severity %q, want %q", c.class, got, c.want)
		}
	}
	m := NewMatcher(nil, realRecalls(t))
	hs := m.Match(Target{Vendor: "BD", Model: "Phoenix AP"})
	if len(hs) == 0 || hs[0].Severity != "notice" {
		t.Errorf("Class III recall Z-0198-2018: hits %+v, want severity notice", hs)
	}
}

// Item 9: the whole remediation and the advisory's own page.
func TestSeenEvidence(t *testing.T) {
	m := realMatcher(t)
	hs := m.Match(Target{Vendor: "Hillrom", Model: "Welch Allyn Q-Stress", Firmware: "6.2"})
	var h *Hit
	for i := range hs {
		if hs[i].Document == "ICSMA-21-343-01" {
			h = &hs[i]
		}
	}
	if h == nil {
		t.Fatalf("no hit: %+v", hs)
	}
	if h.URL != "https://www.cisa.gov/news-events/ics-medical-advisories/icsma-21-343-01" {
		t.Errorf("URL = %q, want the advisory's page", h.URL)
	}
	if strings.HasSuffix(strings.TrimSpace(h.Remediation), ":") || strings.Count(h.Remediation, "\n") < 2 || !strings.Contains(h.Remediation, "upgrade to the latest") {
		t.Errorf("remediation is a fragment: %q", h.Remediation)
	}
	if h.Range == "" || h.Severity == "" {
		t.Errorf("range %q severity %q: want both", h.Range, h.Severity)
	}
}

// A catalog model may carry advisory aliases: a model named only by its
// marketing name is matched for certain through its model number.
func TestTargetAliases(t *testing.T) {
	m := realMatcher(t)
	tg := Target{Vendor: "Baxter", Model: "Infusion pump (large volume)", Firmware: "9.0.1"}
	if got := hitLevel(m.Match(tg), "ICSMA-22-251-01"); got != "none" {
		t.Fatalf("without aliases: %s, want none", got)
	}
	tg.Aliases = []string{"Spectrum IQ", "35700BAX3"}
	hs := m.Match(tg)
	if got := hitLevel(hs, "ICSMA-22-251-01"); got != "certain" {
		t.Fatalf("with aliases: %s, want certain: %+v", got, hs)
	}
	for _, h := range hs {
		if h.Document == "ICSMA-22-251-01" && !strings.Contains(h.Reason, "catalog alias") {
			t.Errorf("reason does not name the alias: %s", h.Reason)
		}
	}
}
