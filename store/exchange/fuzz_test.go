package exchange_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// FuzzImportCSV feeds arbitrary bytes to the importer. Whatever the input:
// no panic; a failed import leaves the (fresh) database empty and fails
// with a *RowError; a successful one round-trips through export.
func FuzzImportCSV(f *testing.F) {
	f.Add(sample)
	f.Add("asset_tag,next_pm_due\nN-1,2026-01-02\nN-2,31/12/2026\n")
	f.Add("asset_tag,mac\nN-1,00:11:22:33:44:55\nN-2,00-11-22-33-44-55\n")
	f.Add("asset_tag,serial,hostname\nN-1,S1,h1\nN-2,S2")
	f.Add("asset_tag,serial\nN-1,\"S\"\"1\"\n")
	f.Add("key,site,building,floor,room,name,rf_shielded,barcode,segments\nMAIN/2/MRI-1,,MAIN,2,MRI-1,MRI,true,B1,10.2.0.0/24=imaging;10.2.1.0/24=clinical|guest\n")
	f.Add("manufacturer,model,device_class,fda_class,min_firmware,latest_firmware,os,os_eol,support_end,allowed_tags\nBD,X,pump,II,1,2,Windows 7,2020-01-14,,clinical\n")
	f.Add("manufacturer,model,advisory_aliases\nInnokas,Vital Signs Monitor,\"VC150 | Innokas VC150;vc150\"\nMedtronic,MyCareLink,24950\n")
	f.Add("Asset Tag;Serial;Location\nA-1;S;MAIN/1/ED-01\n")
	f.Add("\ufeffasset_tag\r\nA\r\n")
	f.Add("asset_tag,owner\nA-1,=cmd|' /C calc'!A0\nA-2,''=x\nA-3,-2+3\n")
	f.Add("")
	f.Fuzz(fuzzImport)
}

// FuzzImportJSON is FuzzImportCSV for JSON input.
func FuzzImportJSON(f *testing.F) {
	f.Add(`{"devices": [{"asset_tag": "A-1", "mac": "00:11:22:33:44:55", "last_pm": "2025-01-01"}]}`)
	f.Add(`[{"asset_tag": "A-1"}, {"asset_tag": "A-1"}]`)
	f.Add(`{"result": [{"asset_tag": "A-1", "model_id": {"display_value": "X"}, "manufacturer": "Y"}]}`)
	f.Add(`{"total": 1, "rows": [{"asset_tag": "A-2", "status_label": {"id": 1, "name": "Deployed"}}]}`)
	f.Add(`{"locations": [{"key": "MAIN/2/MRI-1", "rf_shielded": true, "segments": [{"cidr": "10.2.0.0/24", "tags": ["imaging"]}]}],
"models": [{"manufacturer": "GE", "model": "B450", "allowed_tags": ["clinical"], "os_eol": "2020-01-14", "advisory_aliases": ["CARESCAPE B450", "B450|x"]}],
"devices": [{"asset_tag": "A-3", "building": "MAIN", "floor": 2, "room": "MRI-1"}]}`)
	f.Add(`{"devices": [{"asset_tag": "A-1"},`)
	f.Add(`[1, "x", null]`)
	f.Add(`[{"asset_tag": "A-1", "owner": "=1+1", "owner": "-2"}]`)
	f.Add(`[{"asset_tag": "'=x", "serial": "@SUM(1)"}]`)
	f.Fuzz(fuzzImport)
}

func fuzzImport(t *testing.T, data string) {
	ctx := context.Background()
	st, err := store.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = exchange.Import(ctx, st, strings.NewReader(data), exchange.Options{Name: "f"})
	if err != nil {
		var re *exchange.RowError
		if !errors.As(err, &re) {
			t.Fatalf("error is not a row error: %v", err)
		}
		if n, _ := st.CountDevices(ctx); n != 0 {
			t.Fatalf("failed import left %d devices", n)
		}
		if c, _ := st.JournalCounts(ctx); len(c) != 0 {
			t.Fatalf("failed import left journal entries %v", c)
		}
		return
	}
	for _, k := range exchange.Kinds {
		first := export(t, st, exchange.CSV, k)
		dst, err := store.Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exchange.Import(ctx, dst, strings.NewReader(first), exchange.Options{Name: "e.csv", Kind: k}); err != nil {
			dst.Close()
			t.Fatalf("re-import of the %s export failed: %v\n%s", k, err, first)
		}
		second := export(t, dst, exchange.CSV, k)
		dst.Close()
		if second != first {
			t.Fatalf("%s export does not round-trip\n%s", k, firstDiff(first, second))
		}
	}
}

// FuzzImportCSVIntoInventory feeds arbitrary bytes to an import into an
// inventory that holds devices (no load: the unique constraints find held
// tags and identifiers, and a batch they refuse is undone). Whatever the
// input: no panic; a failed import fails with a *RowError and leaves the
// database exactly as it was; a successful one, imported again, changes
// nothing.
func FuzzImportCSVIntoInventory(f *testing.F) {
	f.Add(header + "N-1,SN9,BD,Alaris 8015 PC Unit,infusion pump,MAIN,3,3W-12,00:09:fb:12:34:56,,,,,,,,,,,\n")
	f.Add(header + "N-1,SN1,,,,NEW,1,A,,,,,,,,,,,,\nN-2,SN8,Acme,X,,NEW,1,B,,,,,,,,,,,,\n")
	f.Add(header + "BME-2,SN2,Philips,IntelliVue MX450,patient monitor,MAIN,3,3W-14,00:09:fb:00:00:02,,,,M.00.04,,,,,,,\nN-3,SN3,,,,,,,,,,,,,,,,,,\n")
	f.Add(newRows(200, func(i int) string {
		if i == 150 {
			return "N-0150,SN2,,,,,,,,,,,,,,,,,,\n"
		}
		return ""
	}))
	f.Add("asset_tag,mac\nN-1,00-09-FB-00-00-02\nN-2,00:11:22:33:44:55\n")
	f.Fuzz(func(t *testing.T, data string) {
		ctx := context.Background()
		st, err := store.Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := exchange.Import(ctx, st, strings.NewReader(sample), exchange.Options{Name: "seed.csv"}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, st)
		_, err = exchange.Import(ctx, st, strings.NewReader(data), exchange.Options{Name: "f"})
		if err != nil {
			var re *exchange.RowError
			if !errors.As(err, &re) {
				t.Fatalf("error is not a row error: %v", err)
			}
			if snapshot(t, st) != before {
				t.Fatalf("failed import (%v) changed the database", err)
			}
			return
		}
		after := snapshot(t, st)
		res, err := exchange.Import(ctx, st, strings.NewReader(data), exchange.Options{Name: "f"})
		if err != nil {
			t.Fatalf("second import of the same file: %v", err)
		}
		if res.Created != 0 || res.Updated != 0 || snapshot(t, st) != after {
			t.Fatalf("second import of the same file changed something: %+v", res)
		}
	})
}
