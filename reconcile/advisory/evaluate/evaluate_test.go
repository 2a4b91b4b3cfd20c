package evaluate

import (
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
)

// TestRealDataFigures asserts issue 10's targets on the real ICSMA files
// and the hand-made truth table: certain flags precision >= 0.97 and
// recall >= 0.92; with possible flags, recall >= 0.97. Before this work
// the matcher scored certain precision 0.54, recall 0.64 (issue 10).
func TestRealDataFigures(t *testing.T) {
	advs, err := LoadAdvisories("../testdata/icsma")
	if err != nil {
		t.Fatal(err)
	}
	if len(advs) != 134 {
		t.Fatalf("%d advisories, want the 134 real ICSMA files", len(advs))
	}
	rows, err := ReadInventory("testdata/inventory.tsv")
	if err != nil {
		t.Fatal(err)
	}
	devices := map[[3]string]bool{}
	for _, r := range rows {
		devices[[3]string{r.Vendor, r.Model, r.Firmware}] = true
	}
	if len(devices) < 60 {
		t.Fatalf("%d devices in the truth table, want at least 60", len(devices))
	}
	res := Run(advisory.NewMatcher(advs, nil), rows, "")
	if p, r := res.Certain.Precision(), res.Certain.Recall(); p < 0.97 || r < 0.92 {
		t.Errorf("certain flags: precision %.3f recall %.3f, want >= 0.97 and >= 0.92\n%s", p, r, strings.Join(res.Errors, "\n"))
	}
	if r := res.Any.Recall(); r < 0.97 {
		t.Errorf("certain and possible flags: recall %.3f, want >= 0.97\n%s", r, strings.Join(res.Errors, "\n"))
	}
}

func TestReadInventoryErrorsNameLine(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/inv.tsv"
	if err := writeFile(path, "# header\ndev\tBD\tAlaris\t1\tICSMA-1\tmaybe\twhy\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInventory(path); err == nil || !strings.Contains(err.Error(), ":2:") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}
