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
		rs, skipped, err := ParseRecallsReport("fuzz.json", data)
		if len(skipped) > maxSkipped+1 {
			t.Fatalf("%d skip messages, want at most %d", len(skipped), maxSkipped+1)
		}
		if err != nil {
			if len(rs) > 0 {
				t.Fatalf("error %v with %d recalls", err, len(rs))
			}
			return
		}
		// The firm may be missing (openFDA's device/recall records leave
		// it out); the id and a product are required.
		for _, r := range rs {
			if r.ID == "" || r.Product == "" {
				t.Fatalf("recall missing required fields: %+v", r)
			}
		}
		m := NewMatcher(nil, rs)
		for _, r := range rs {
			m.Match(Target{Vendor: r.Firm, Model: r.Product, Serial: r.Codes})
		}
	})
}

// FuzzProductIdentity runs the product-name reading (exclusions, model
// ranges, codes, type words) on arbitrary names: no panic, a name without
// an exclusion names itself for certain, and no match is ever made of a
// device name with no word and no code.
func FuzzProductIdentity(f *testing.F) {
	for _, s := range [][2]string{
		{"LOGIQ, not including LOGIQ 100 Pro", "LOGIQ E10"},
		{"IntelliVue patient monitor MX400-MX850", "IntelliVue MX450"},
		{"BD Alaris Point-of-Care Unit (PCU) Model 8015", "Alaris PC Unit 8015"},
		{"Alaris Infusion Central software", "Alaris 8015"},
		{"Venue, not including Venue 40 R1-3 and Venue 50 R4-5", "Venue Go"},
		{"IntelliVue MP monitors MP20-MP90 (M8001A/2A/3A/4A/5A/7A/8A/10A) WLAN", "MP50"},
		{"Baxter Spectrum", "Spectrum IQ 35700BAX3"},
		{"", "x"},
	} {
		f.Add(s[0], s[1])
	}
	vw := vendorWordSet("Philips")
	f.Fuzz(func(t *testing.T, product, model string) {
		if len(product) > 512 || len(model) > 512 {
			return
		}
		p, d := newIdent(product, vw), newIdent(model, vw)
		lv, why := p.covers(&d)
		if lv != NoMatch && why == "" {
			t.Fatalf("%q covers %q without a reason", product, model)
		}
		if len(d.words) == 0 && len(d.codes) == 0 && lv != NoMatch {
			t.Fatalf("%q matched the empty name %q", product, model)
		}
		if len(p.excl) == 0 && (len(p.words) > 0 || len(p.codes) > 0) {
			if self, _ := p.covers(&p); self != Certain {
				t.Fatalf("%q does not name itself (%v)", product, self)
			}
		}
	})
}
