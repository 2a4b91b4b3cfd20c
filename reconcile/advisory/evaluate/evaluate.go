package evaluate

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
)

// Row is one (device, advisory) pair of the truth table.
type Row struct {
	Line     int
	Set      string // "dev" or "held"
	Vendor   string
	Model    string
	Firmware string
	Advisory string
	Affected bool
	Reason   string
}

// Tier holds the counts of one flag tier.
type Tier struct {
	TP, FP, FN int
}

// Precision is TP/(TP+FP), 1 when nothing was flagged.
func (t Tier) Precision() float64 {
	if t.TP+t.FP == 0 {
		return 1
	}
	return float64(t.TP) / float64(t.TP+t.FP)
}

// Recall is TP/(TP+FN), 1 when nothing was to be found.
func (t Tier) Recall() float64 {
	if t.TP+t.FN == 0 {
		return 1
	}
	return float64(t.TP) / float64(t.TP+t.FN)
}

// Result is the evaluation of one set of rows.
type Result struct {
	// Certain counts certain flags only; Any counts certain and possible.
	Certain, Any Tier
	// Errors lists every false positive and negative, one line each.
	Errors []string
}

// ReadInventory reads the truth table: tab-separated set, vendor, model,
// firmware, advisory, truth (yes/no), reason; "#" starts a comment.
func ReadInventory(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 7 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 7", path, n, len(fs))
		}
		if fs[5] != "yes" && fs[5] != "no" {
			return nil, fmt.Errorf("%s:%d: truth %q, want yes or no", path, n, fs[5])
		}
		rows = append(rows, Row{Line: n, Set: fs[0], Vendor: fs[1], Model: fs[2], Firmware: fs[3],
			Advisory: strings.ToUpper(fs[4]), Affected: fs[5] == "yes", Reason: fs[6]})
	}
	return rows, sc.Err()
}

// LoadAdvisories parses every CSAF file in dir.
func LoadAdvisories(dir string) ([]*advisory.Advisory, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*advisory.Advisory
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a, err := advisory.ParseCSAF(filepath.Base(f), b)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Run matches every device of rows and scores the flags against the
// truth. A device's rows list every advisory that applies to it, so a
// certain flag on an advisory not listed as applying is a false positive.
func Run(m *advisory.Matcher, rows []Row, set string) Result {
	type dev struct{ vendor, model, fw string }
	truth := map[dev]map[string]Row{}
	var order []dev
	inSet := map[dev]bool{}
	for _, r := range rows {
		d := dev{r.Vendor, r.Model, r.Firmware}
		if truth[d] == nil {
			truth[d] = map[string]Row{}
			order = append(order, d)
		}
		truth[d][r.Advisory] = r
		if set == "" || r.Set == set {
			inSet[d] = true
		}
	}
	var res Result
	for _, d := range order {
		if !inSet[d] {
			continue
		}
		hits := map[string]advisory.Hit{}
		for _, h := range m.Match(advisory.Target{Vendor: d.vendor, Model: d.model, Firmware: d.fw}) {
			if h.Kind == advisory.KindCSAF {
				hits[strings.ToUpper(h.Document)] = h
			}
		}
		name := fmt.Sprintf("%s %q fw %q", d.vendor, d.model, d.fw)
		var ids []string
		for id := range truth[d] {
			ids = append(ids, id)
		}
		for id := range hits {
			if _, ok := truth[d][id]; !ok {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			r, listed := truth[d][id]
			if listed && set != "" && r.Set != set {
				continue // scored with its own set
			}
			h, hit := hits[id]
			yes := listed && r.Affected
			switch {
			case yes && hit && h.Certain:
				res.Certain.TP++
				res.Any.TP++
			case yes && hit:
				res.Certain.FN++
				res.Any.TP++
				res.Errors = append(res.Errors, fmt.Sprintf("FN certain (possible only) %s: %s; truth: %s; matcher: %s", id, name, r.Reason, h.Reason))
			case yes:
				res.Certain.FN++
				res.Any.FN++
				res.Errors = append(res.Errors, fmt.Sprintf("FN %s: %s; truth: %s", id, name, r.Reason))
			case hit && h.Certain:
				res.Certain.FP++
				res.Any.FP++
				why := "not listed for this device"
				if listed {
					why = r.Reason
				}
				res.Errors = append(res.Errors, fmt.Sprintf("FP certain %s: %s; truth: %s; matcher: %s", id, name, why, h.Reason))
			case hit:
				res.Any.FP++
				res.Errors = append(res.Errors, fmt.Sprintf("FP possible %s: %s; matcher: %s", id, name, h.Reason))
			}
		}
	}
	return res
}

// Report prints the figures and errors of res under a title.
func Report(w io.Writer, title string, res Result) {
	fmt.Fprintf(w, "%s\n", title)
	fmt.Fprintf(w, "  certain flags:            precision %.3f  recall %.3f  (TP %d, FP %d, FN %d)\n",
		res.Certain.Precision(), res.Certain.Recall(), res.Certain.TP, res.Certain.FP, res.Certain.FN)
	fmt.Fprintf(w, "  certain + possible flags: precision %.3f  recall %.3f  (TP %d, FP %d, FN %d)\n",
		res.Any.Precision(), res.Any.Recall(), res.Any.TP, res.Any.FP, res.Any.FN)
	for _, e := range res.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
}
