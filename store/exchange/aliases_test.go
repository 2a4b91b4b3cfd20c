package exchange_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store/exchange"
)

// TestModelAdvisoryAliasesImportExport: a catalog's advisory_aliases
// column (or a model_number column) is imported as the model's advisory
// aliases, "|" or ";" separated, and survives a CSV and a JSON round trip.
func TestModelAdvisoryAliasesImportExport(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, data string
		want       []string
	}{
		{"pipe", "manufacturer,model,advisory_aliases\nMedtronic,CareLink Home Monitor,MyCareLink Monitor|24950\n",
			[]string{"MyCareLink Monitor", "24950"}},
		{"semicolon, blanks and repeats", "manufacturer,model,advisory_aliases\nMedtronic,CareLink Home Monitor,\" MyCareLink Monitor ; ;24950;mycarelink monitor\"\n",
			[]string{"MyCareLink Monitor", "24950"}},
		{"commas stay inside a name", "manufacturer,model,advisory_aliases\nBD,Alaris PC Unit,\"Alaris PC Unit, Model 8015|8015\"\n",
			[]string{"Alaris PC Unit, Model 8015", "8015"}},
		{"model_number column", "manufacturer,model,model_number\nMedtronic,CareLink Home Monitor,24950\n",
			[]string{"24950"}},
		{"no column", "manufacturer,model\nMedtronic,CareLink Home Monitor\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := open(t)
			mustImport(t, st, "models.csv", c.data, exchange.Options{Kind: exchange.Models})
			ms, err := st.Models(ctx)
			if err != nil || len(ms) != 1 {
				t.Fatalf("Models = %v, %v", ms, err)
			}
			if !slices.Equal(ms[0].AdvisoryAliases, c.want) {
				t.Fatalf("aliases = %q, want %q", ms[0].AdvisoryAliases, c.want)
			}
			for _, f := range []exchange.Format{exchange.CSV, exchange.JSON} {
				first := export(t, st, f, exchange.Models)
				if len(c.want) > 0 && !strings.Contains(first, c.want[len(c.want)-1]) {
					t.Fatalf("%v export lacks the aliases:\n%s", f, first)
				}
				dst := open(t)
				mustImport(t, dst, "again", first, exchange.Options{Kind: exchange.Models})
				if second := export(t, dst, f, exchange.Models); second != first {
					t.Fatalf("%v: second export differs\n%s", f, firstDiff(first, second))
				}
			}
		})
	}
}

// TestModelAdvisoryAliasesLimit: an aliases field longer than the
// inventory's limit is refused, naming the line and field.
func TestModelAdvisoryAliasesLimit(t *testing.T) {
	st := open(t)
	_, err := importString(t, st, "models.csv", "manufacturer,model,advisory_aliases\nA,B,"+strings.Repeat("x", 5000)+"\n",
		exchange.Options{Kind: exchange.Models})
	if err == nil || !strings.Contains(err.Error(), "advisory_aliases") || !strings.Contains(err.Error(), "2") {
		t.Fatalf("err = %v, want the line and field named", err)
	}
}
