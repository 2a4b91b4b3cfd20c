package advisory

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// icsma is a CSAF 2.0 document in the shape CISA publishes for ICSMA
// advisories: vendor -> product_name -> product_version_range branches,
// a product family level, full product names, a relationship, and
// vulnerabilities with product_status lists, CVSS v3 scores and
// remediations.
const icsma = `{
  "document": {
    "category": "csaf_security_advisory",
    "csaf_version": "2.0",
    "title": "Baxter Welch Allyn Connex Spot Monitor",
    "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
    "references": [
      {"category": "self", "summary": "ICS Advisory ICSMA-24-200-01 JSON", "url": "https://example.test/csaf/icsma-24-200-01.json"},
      {"category": "external", "summary": "ICS Advisory ICSMA-24-200-01 - Web Version", "url": "https://example.test/icsma-24-200-01"}
    ],
    "tracking": {
      "id": "ICSMA-24-200-01",
      "current_release_date": "2024-07-18T06:00:00.000000Z",
      "initial_release_date": "2024-07-18T06:00:00.000000Z",
      "status": "final",
      "version": "2",
      "revision_history": [{"date": "2024-07-18T06:00:00.000000Z", "number": "1", "summary": "Initial Publication"}]
    }
  },
  "product_tree": {
    "branches": [
      {"category": "vendor", "name": "Baxter", "branches": [
        {"category": "product_family", "name": "Welch Allyn", "branches": [
          {"category": "product_name", "name": "Connex Spot Monitor", "branches": [
            {"category": "product_version_range", "name": "<=1.52", "product": {"name": "Baxter Welch Allyn Connex Spot Monitor <=1.52", "product_id": "CSAFPID-0001"}},
            {"category": "product_version", "name": "1.53", "product": {"name": "Baxter Welch Allyn Connex Spot Monitor 1.53", "product_id": "CSAFPID-0002"}}
          ]}
        ]},
        {"category": "product_name", "name": "Sigma Spectrum Infusion System", "branches": [
          {"category": "product_version_range", "name": "vers:generic/>=8.00.01|<8.01", "product": {"name": "Sigma Spectrum 8.00.01 to 8.01", "product_id": "CSAFPID-0003"}}
        ]}
      ]},
      {"category": "vendor", "name": "Philips", "branches": [
        {"category": "product_name", "name": "IntelliVue MX40", "branches": [
          {"category": "product_version_range", "name": "versions prior to B.06.18", "product": {"name": "Philips IntelliVue MX40 versions prior to B.06.18", "product_id": "CSAFPID-0004",
            "product_identification_helper": {"model_numbers": ["865350", "865351"]}}}
        ]},
        {"category": "product_name", "name": "IntelliVue Information Center iX", "branches": [
          {"category": "product_version_range", "name": "4.X | 5.X", "product": {"name": "PIIC iX 4.x and 5.x", "product_id": "CSAFPID-0005"}},
          {"category": "product_version_range", "name": "see vendor notice for affected builds", "product": {"name": "PIIC iX odd", "product_id": "CSAFPID-0006"}}
        ]}
      ]},
      {"category": "vendor", "name": "Microsoft", "branches": [
        {"category": "product_name", "name": "Windows", "branches": [
          {"category": "product_version", "name": "7", "product": {"name": "Microsoft Windows 7", "product_id": "CSAFPID-0007"}}
        ]}
      ]}
    ],
    "full_product_names": [
      {"name": "GE Healthcare CARESCAPE Monitor B450 v2.0 and prior", "product_id": "CSAFPID-0008"}
    ],
    "relationships": [
      {"category": "installed_on", "product_reference": "CSAFPID-0007", "relates_to_product_reference": "CSAFPID-0005",
       "full_product_name": {"name": "Microsoft Windows 7 installed on PIIC iX 4.x and 5.x", "product_id": "CSAFPID-0009"}}
    ]
  },
  "vulnerabilities": [
    {
      "cve": "CVE-2024-6795",
      "cwe": {"id": "CWE-798", "name": "Use of Hard-coded Credentials"},
      "title": "Hard-coded credentials",
      "product_status": {"known_affected": ["CSAFPID-0001", "CSAFPID-0003", "CSAFPID-0008"], "fixed": ["CSAFPID-0002"]},
      "remediations": [{"category": "vendor_fix", "details": "Update to 1.53 or later.", "product_ids": ["CSAFPID-0001"]}],
      "scores": [{"cvss_v3": {"version": "3.1", "baseScore": 8.8, "baseSeverity": "HIGH", "vectorString": "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, "products": ["CSAFPID-0001"]}]
    },
    {
      "cve": "CVE-2024-6796",
      "title": "Cleartext transmission",
      "product_status": {"known_affected": ["CSAFPID-0004", "CSAFPID-0006", "CSAFPID-0009"], "known_not_affected": ["CSAFPID-0002"]},
      "scores": [{"cvss_v3": {"version": "3.1", "baseScore": 6.5, "baseSeverity": "MEDIUM", "vectorString": "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}, "products": ["CSAFPID-0004"]}]
    }
  ]
}`

func TestParseCSAF(t *testing.T) {
	a, err := ParseCSAF("icsma.json", []byte(icsma))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "ICSMA-24-200-01" || a.Revision != "2" || a.URL == "" || a.Released.IsZero() || a.Publisher != "CISA" {
		t.Errorf("header = %+v", a)
	}
	if a.MaxCVSS() != 8.8 {
		t.Errorf("MaxCVSS = %v", a.MaxCVSS())
	}
	byID := map[string]Product{}
	for _, p := range a.Products {
		byID[p.ID] = p
	}
	want := map[string][3]string{
		"CSAFPID-0001": {"Baxter", "Connex Spot Monitor", "<=1.52"}, // family "Welch Allyn" kept apart
		"CSAFPID-0003": {"Baxter", "Sigma Spectrum Infusion System", "vers:generic/>=8.00.01|<8.01"},
		"CSAFPID-0004": {"Philips", "IntelliVue MX40", "versions prior to B.06.18"},
		"CSAFPID-0008": {"", "GE Healthcare CARESCAPE Monitor B450", "v2.0 and prior"},
		"CSAFPID-0009": {"Philips", "IntelliVue Information Center iX", "4.X | 5.X"},
	}
	for id, w := range want {
		p, ok := byID[id]
		if !ok {
			t.Errorf("product %s missing", id)
			continue
		}
		if p.Vendor != w[0] || p.Name != w[1] || p.Version != w[2] {
			t.Errorf("product %s = %q %q %q, want %q", id, p.Vendor, p.Name, p.Version, w)
		}
	}
	if got := byID["CSAFPID-0004"].Models; len(got) != 2 {
		t.Errorf("model numbers = %v", got)
	}
	if n := byID["CSAFPID-0009"].Note; !strings.Contains(n, "Windows") || !strings.Contains(n, "installed on") {
		t.Errorf("relationship note = %q", n)
	}
	v := a.Vulnerabilities[0]
	if v.CVE != "CVE-2024-6795" || len(v.Affected) != 3 || len(v.Fixed) != 1 || v.CVSS != 8.8 || v.CWE == "" || len(v.Remediations) != 1 {
		t.Errorf("vulnerability = %+v", v)
	}
	p := byID["CSAFPID-0006"]
	if _, ok := p.Range(); ok {
		t.Errorf("prose range %q understood", p.Version)
	}
}

func TestParseCSAFErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", "{\n  \"document\": {\n    \"category\": ,\n  }\n}", "syntax.json:3:"},
		{"type", `{"document": {"category": 5}}`, "field document.category"},
		{"no document", `{"product_tree": {}}`, "document: missing"},
		{"not csaf", `{"document": {"category": "report"}, "product_tree": {}}`, "document.category"},
		{"no id", `{"document": {"category": "csaf_security_advisory", "tracking": {}}, "product_tree": {}}`, "document.tracking.id"},
		{"no tree", `{"document": {"category": "csaf_security_advisory", "tracking": {"id": "X"}}}`, "product_tree: missing"},
		{"csaf 1", `{"document": {"category": "csaf_base", "csaf_version": "1.2", "tracking": {"id": "X"}}, "product_tree": {}}`, "csaf_version"},
		{"score", `{"document": {"category": "csaf_base", "tracking": {"id": "X"}}, "product_tree": {}, "vulnerabilities": [{"cve": "C", "scores": [{"cvss_v3": {"baseScore": 42}}]}]}`, "outside 0-10"},
	}
	for _, tt := range tests {
		_, err := ParseCSAF(tt.name+".json", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.name+".json") {
			t.Errorf("%s: err = %v, want it to name the file and contain %q", tt.name, err, tt.want)
		}
	}
}

func TestParseCSAFDeepTree(t *testing.T) {
	// Nesting beyond maxDepth is refused, not recursed into.
	b := `{"category": "product_name", "name": "x"}`
	for i := 0; i < maxDepth+5; i++ {
		b = `{"category": "product_family", "name": "f", "branches": [` + b + `]}`
	}
	doc := `{"document": {"category": "csaf_base", "tracking": {"id": "X"}}, "product_tree": {"branches": [` + b + `]}}`
	if _, err := ParseCSAF("deep.json", []byte(doc)); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("err = %v", err)
	}
}

func TestDetectAndParse(t *testing.T) {
	d, err := Parse("a.json", []byte(icsma))
	if err != nil || d.Kind != KindCSAF || d.Advisory == nil {
		t.Fatalf("Parse CSAF = %v, %v", d.Kind, err)
	}
	d, err = Parse("r.json", []byte(recallFile))
	if err != nil || d.Kind != KindRecall || len(d.Recalls) != 2 {
		t.Fatalf("Parse recall = %v, %v", d.Kind, err)
	}
	if _, err := Parse("x.json", []byte(`{"hello": 1}`)); !errors.Is(err, ErrFormat) {
		t.Errorf("unknown shape: %v", err)
	}
	if _, err := Parse("x.json", []byte("{\n\"a\":\n")); err == nil || !strings.Contains(err.Error(), "x.json:") {
		t.Errorf("broken JSON: %v", err)
	}
}

// mustJSON is used by fuzz seeds.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
