package reconcile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// TestCatalogAliasesFlagCertain goes end to end (issue 10): a catalog CSV
// whose model carries an advisory alias is imported into a store, and a
// device of that model is flagged *certain* by a real ICSMA file that names
// only the alias; its firmware decides, and without the alias the same
// device gets no certain flag.
func TestCatalogAliasesFlagCertain(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("testdata", "icsma-21-007-01.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := advisory.ParseCSAF("icsma-21-007-01.json", data)
	if err != nil {
		t.Fatal(err)
	}
	advs := advisory.NewMatcher([]*advisory.Advisory{doc}, nil)
	const devs = "asset_tag,manufacturer,model,building,floor,room,firmware_version\n" +
		"V-1,Innokas Yhtymä Oy,Vital Signs Monitor,MAIN,3,3W-12,1.7.14\n" + // inside < 1.7.15
		"V-2,Innokas Yhtymä Oy,Vital Signs Monitor,MAIN,3,3W-12,1.7.15\n" // fixed
	for _, tt := range []struct {
		name, catalog string
		certain       map[string]bool // asset tag: a certain flag wanted
	}{
		{"alias", "manufacturer,model,device_class,advisory_aliases\nInnokas Yhtymä Oy,Vital Signs Monitor,patient monitor,VC150|Innokas VC150\n",
			map[string]bool{"V-1": true, "V-2": false}},
		{"no alias", "manufacturer,model,device_class\nInnokas Yhtymä Oy,Vital Signs Monitor,patient monitor\n",
			map[string]bool{"V-1": false, "V-2": false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, f := range []struct {
				name, data string
				kind       exchange.Kind
			}{{"models.csv", tt.catalog, exchange.Models}, {"devices.csv", devs, exchange.Devices}} {
				if _, err := exchange.Import(ctx, st, strings.NewReader(f.data), exchange.Options{Name: f.name, Kind: f.kind}); err != nil {
					t.Fatalf("import %s: %v", f.name, err)
				}
			}
			ms, err := st.Models(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := st.DevicesInRoom(ctx, "MAIN/3/3W-12")
			if err != nil || len(ds) != 2 {
				t.Fatalf("devices %d, %v", len(ds), err)
			}
			f := newFlagger(&Input{Catalog: NewCatalog(ms), Advisories: advs, Now: now})
			for i := range ds {
				d := &ds[i]
				certain := false
				for _, fl := range f.flags(d, nil) {
					if fl.Kind == AdvisoryMatch && fl.Document == "ICSMA-21-007-01" && !strings.HasPrefix(fl.Rule, "possible") {
						certain = true
					}
				}
				if certain != tt.certain[d.AssetTag] {
					t.Errorf("%s fw %s: certain flag %v, want %v", d.AssetTag, d.FirmwareVersion, certain, tt.certain[d.AssetTag])
				}
			}
		})
	}
}
