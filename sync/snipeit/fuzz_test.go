package snipeit

import (
	"errors"
	"testing"

	"github.com/biomed-rounds/rounds/sync/transport"
)

func FuzzParseList(f *testing.F) {
	f.Add([]byte(`{"total":1,"rows":[{"id":1,"name":"","asset_tag":"BME-1","serial":"SN1","model":{"id":3,"name":"Alaris 8015"},"manufacturer":{"id":1,"name":"BD"},"status_label":{"id":2,"name":"Ready to Deploy","status_type":"deployable","status_meta":"deployable"},"location":{"id":5,"name":"MAIN/3/3W-12"},"notes":"a &amp; b","last_audit_date":{"datetime":"2026-01-01 10:00:00","formatted":"x"},"next_audit_date":{"date":"2027-01-01","formatted":"x"},"updated_at":{"datetime":"2026-01-01 10:00:00","formatted":"x"},"custom_fields":{"MAC Address":{"field":"_snipeit_mac_address_1","value":"00:09:fb:12:34:56","field_format":"MAC"}}}]}`))
	f.Add([]byte(`{"status":"error","messages":"Unauthorized","payload":null}`))
	f.Add([]byte(`{"total":"many","rows":[{"id":"x","updated_at":null,"custom_fields":[]}]}`))
	f.Add([]byte(`{"rows":[{"id":1,"location":"MAIN","status_label":42,"model":[]}]}`))
	f.Add([]byte(`{`))
	cl, err := transport.New(transport.Config{BaseURL: "https://example.invalid"})
	if err != nil {
		f.Fatal(err)
	}
	c, _ := New(Config{Client: cl, Fields: map[string]string{"firmware_version": "_snipeit_firmware_2", "mac": "_snipeit_mac_address_1"}})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseList(b)
		if err != nil {
			if !errors.Is(err, ErrResponse) && !errors.Is(err, ErrAPI) {
				t.Fatalf("error wraps neither ErrResponse nor ErrAPI: %v", err)
			}
			return
		}
		for _, row := range l.Rows {
			c.record(row)
		}
		if _, err := ParseAsset(b); err != nil && !errors.Is(err, ErrResponse) && !errors.Is(err, ErrAPI) {
			t.Fatalf("ParseAsset error: %v", err)
		}
	})
}

func FuzzCheckEnvelope(f *testing.F) {
	f.Add([]byte(`{"status":"error","messages":{"serial":["The serial must be unique."],"asset_tag":["x"]},"payload":null}`))
	f.Add([]byte(`{"status":"success","messages":"Asset updated successfully.","payload":{"id":1}}`))
	f.Add([]byte(`{"status":"error","messages":[1,2]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckEnvelope(b)
		if err != nil && !errors.Is(err, ErrResponse) && !errors.Is(err, ErrAPI) {
			t.Fatalf("error wraps neither sentinel: %v", err)
		}
	})
}
