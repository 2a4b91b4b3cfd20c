package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliCSAF is a CSAF 2.0 advisory in the shape CISA publishes (nested
// branches, a version range, product_status lists, CVSS v3, remediation)
// for the pump of cliSample.
const cliCSAF = `{
  "document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "BD Alaris System",
    "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
    "references": [{"category": "self", "url": "https://example.test/icsma-25-100-01.json"}],
    "tracking": {"id": "ICSMA-25-100-01", "version": "1", "status": "final",
      "current_release_date": "2025-04-10T06:00:00Z", "initial_release_date": "2025-04-10T06:00:00Z"}},
  "product_tree": {"branches": [{"category": "vendor", "name": "Becton, Dickinson and Company", "branches": [
    {"category": "product_family", "name": "Alaris System", "branches": [
      {"category": "product_name", "name": "Alaris 8015 PC Unit", "branches": [
        {"category": "product_version_range", "name": "<= 12.1.2", "product": {"name": "BD Alaris PC Unit <= 12.1.2", "product_id": "CSAFPID-0001"}},
        {"category": "product_version", "name": "12.3.0", "product": {"name": "BD Alaris PC Unit 12.3.0", "product_id": "CSAFPID-0002"}}]}]}]}]},
  "vulnerabilities": [{"cve": "CVE-2025-1000", "title": "Insufficient authentication",
    "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
    "scores": [{"products": ["CSAFPID-0001"], "cvss_v3": {"version": "3.1", "baseScore": 8.2, "baseSeverity": "HIGH", "vectorString": "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L"}}],
    "remediations": [{"category": "vendor_fix", "details": "Update to 12.3.0.", "product_ids": ["CSAFPID-0001"]}]}]
}`

const cliRecalls = `{"meta": {"results": {"total": 1}}, "results": [{"product_res_number": "Z-0500-2025", "cfres_id": "210000",
  "res_event_number": "96000", "recalling_firm": "Philips North America LLC", "product_description": "IntelliVue MX450 patient monitor",
  "code_info": "All serial numbers", "reason_for_recall": "Display may freeze.", "event_date_initiated": "2025-03-01",
  "recall_status": "Open, Classified", "openfda": {"device_name": "Monitor, physiological", "device_class": "2"}}]}`

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdvisoriesImportCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	csaf := writeFile(t, dir, "icsma-25-100-01.json", cliCSAF)
	rec := writeFile(t, dir, "recalls.json", cliRecalls)
	bad := writeFile(t, dir, "broken.json", "{\n  \"document\": {\n    \"category\": \"csaf_base\",\n  }\n}")
	odd := writeFile(t, dir, "notes.json", `{"hello": "world"}`)

	code, out, errs := runCLI(t, db, "advisories", "import", csaf, bad, rec, odd, filepath.Join(dir, "absent.json"))
	if code != 1 {
		t.Fatalf("exit %d, want 1 for skipped files\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"broken.json:4:", "notes.json", "absent.json"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if !strings.Contains(out, "ICSMA-25-100-01") || !strings.Contains(out, "Z-0500-2025") || !strings.Contains(out, "2 added, 0 updated, 0 unchanged, 0 kept newer; 3 of 5 files skipped") {
		t.Errorf("stdout:\n%s", out)
	}
	// Importing again changes nothing.
	code, out, _ = runCLI(t, db, "advisories", "import", csaf, rec)
	if code != 0 || !strings.Contains(out, "0 added, 0 updated, 2 unchanged") {
		t.Errorf("re-import: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, db, "advisories", "list")
	if code != 0 || !strings.Contains(out, "CVSS 8.2") || !strings.Contains(out, "Device class 2") || !strings.Contains(out, "BD Alaris System") {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, db, "advisories", "list", "--json")
	// One JSON array (the --json convention for lists).
	var docs []struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &docs) != nil || len(docs) != 2 || docs[0].Kind != "advisory" || docs[0].ID != "ICSMA-25-100-01" {
		t.Errorf("list --json: %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, db, "advisories", "import"); code != 2 {
		t.Errorf("import without files: exit %d, want 2", code)
	}
}

// TestAdvisoriesImportReportsUnderstanding: the import says how many
// advisory products and version expressions it understood and lists the
// rest with --verbose; a food enforcement report is refused with a
// warning without failing the import; unusable recall records are counted.
func TestAdvisoriesImportReportsUnderstanding(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	csaf := writeFile(t, dir, "icsma.json", strings.Replace(cliCSAF, `"name": "12.3.0", "product"`, `"name": "see vendor notice", "product"`, 1))
	food := writeFile(t, dir, "food.json", `{"results": [{"product_type": "Food", "recall_number": "F-1000-2019", "recalling_firm": "Sysco", "product_description": "Crab meat"}]}`)
	mixed := writeFile(t, dir, "mixed.json", `{"results": [{"recall_number": "Z-1", "recalling_firm": "BD", "product_description": "Alaris pump"}, {"recalling_firm": "BD"}]}`)
	code, out, errs := runCLI(t, db, "advisories", "import", "--verbose", csaf, food, mixed)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"advisory products: 1 of 2 understood (50.0%)",
		`not understood (possible flags only): icsma.json: Becton, Dickinson and Company Alaris 8015 PC Unit: "see vendor notice"`,
		"1 files refused: not device recalls",
		"1 recall records skipped",
		"mixed.json: results[1]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "warning: refused") || !strings.Contains(errs, `"Food"`) {
		t.Errorf("stderr: %s", errs)
	}
}
