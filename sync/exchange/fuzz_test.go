package exchange

import (
	"errors"
	"testing"
)

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("asset_tag,serial_number,location,status\nBME-1,SN1,MAIN/3/3W-12,In Service\n"))
	f.Add([]byte("\ufeffAsset_Tag;x\n\"a\"\"b\",\n"))
	f.Add([]byte("asset_tag\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseCSV("f.csv", b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.Version == "" {
				t.Fatal("record without a version")
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"asset_tag":"BME-1","serial":"SN1","location":"MAIN/3/3W-12","sys_id":"x"}]`))
	f.Add([]byte(`{"devices":[{"asset_tag":1,"status":true,"notes":null}]}`))
	f.Add([]byte(`[{"asset_tag":{"a":1}}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseJSON("f.json", b); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error does not wrap ErrFormat: %v", err)
		}
	})
}
