package advisory

import "testing"

func FuzzParseCSAF(f *testing.F) {
	f.Add([]byte(icsma))
	f.Add([]byte(`{"document": {"category": "csaf_base", "tracking": {"id": "X"}}, "product_tree": {"branches": [{"category": "vendor", "name": "V", "branches": [{"category": "product_version_range", "name": "<=1", "product": {"product_id": "P"}}]}]}, "vulnerabilities": [{"product_status": {"known_affected": ["P", "Q"]}}]}`))
	f.Add(mustJSON(map[string]any{"document": map[string]any{"category": "csaf_vex"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseCSAF("fuzz.json", data)
		if err != nil {
			return
		}
		if a.ID == "" {
			t.Fatal("parsed advisory without an id")
		}
		// Whatever parsed must be matchable without panicking.
		m := NewMatcher([]*Advisory{a}, nil)
		for _, p := range a.Products {
			m.Match(Target{Vendor: p.Vendor + "x", Model: p.Name, Firmware: "1.0"})
			m.Match(Target{Vendor: p.Vendor, Model: p.Name, Firmware: ""})
		}
	})
}

func FuzzParseRecalls(f *testing.F) {
	f.Add([]byte(recallFile))
	f.Add([]byte(`[{"recall_number": "Z-1", "recalling_firm": "X", "product_description": "Y", "event_id": 5}]`))
	f.Add([]byte(`{"cfres_id": 1, "recalling_firm": "X", "product_description": "Y"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRecalls("fuzz.json", data)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.ID == "" || r.Firm == "" || r.Product == "" {
				t.Fatalf("recall missing required fields: %+v", r)
			}
		}
		m := NewMatcher(nil, rs)
		for _, r := range rs {
			m.Match(Target{Vendor: r.Firm, Model: r.Product, Serial: r.Codes})
		}
	})
}
