package advisory

import (
	"strings"
	"testing"
)

// recallFile is an openFDA /device/recall.json answer (meta and results),
// with one record in the enforcement shape (recall_number, event_id).
const recallFile = `{
  "meta": {"disclaimer": "Do not rely on openFDA ...", "results": {"skip": 0, "limit": 2, "total": 2}},
  "results": [
    {
      "cfres_id": "195432",
      "product_res_number": "Z-1234-2023",
      "event_date_initiated": "2023-03-01",
      "event_date_posted": "2023-04-02",
      "recall_status": "Open, Classified",
      "res_event_number": "91811",
      "product_code": "FRN",
      "k_numbers": ["K211234"],
      "product_description": "Hospira Plum 360 Infusion System, List Number 30010, software version 15.1",
      "code_info": "Serial Numbers: 15012345, 15012346, 15012399",
      "recalling_firm": "ICU Medical, Inc.",
      "reason_for_recall": "Software anomaly may cause delay of therapy.",
      "root_cause_description": "Software design",
      "action": "Customers were notified by letter.",
      "openfda": {"device_name": "Pump, Infusion", "device_class": "2", "regulation_number": "880.5725"}
    },
    {
      "recall_number": "Z-0999-2022",
      "event_id": 88001,
      "classification": "Class II",
      "status": "Ongoing",
      "recall_initiation_date": "20220105",
      "product_description": "Alaris Pump Module, Model 8100",
      "code_info": "All lots",
      "recalling_firm": "CareFusion 303, Inc.",
      "reason_for_recall": "Keypad may not respond.",
      "product_type": "Devices"
    }
  ]
}`

func TestParseRecalls(t *testing.T) {
	rs, err := ParseRecalls("recall.json", []byte(recallFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("got %d recalls", len(rs))
	}
	a, b := rs[0], rs[1]
	if a.ID != "Z-1234-2023" || a.Event != "91811" || a.Firm != "ICU Medical, Inc." || a.Initiated.IsZero() ||
		a.URL == "" || a.DeviceName != "Pump, Infusion" || len(a.KNumbers) != 1 || a.ProductCode != "FRN" {
		t.Errorf("recall[0] = %+v", a)
	}
	if b.ID != "Z-0999-2022" || b.Event != "88001" || b.Class != "Class II" || b.Initiated.IsZero() || b.Status != "Ongoing" {
		t.Errorf("recall[1] = %+v", b)
	}
	// A bare array and a single record are accepted too.
	if rs, err := ParseRecalls("a.json", []byte(`[{"recall_number": "Z-1", "recalling_firm": "X", "product_description": "Y"}]`)); err != nil || len(rs) != 1 {
		t.Errorf("array: %v %v", rs, err)
	}
	if rs, err := ParseRecalls("o.json", []byte(`{"recall_number": "Z-1", "recalling_firm": "X", "product_description": "Y"}`)); err != nil || len(rs) != 1 {
		t.Errorf("object: %v %v", rs, err)
	}
}

func TestParseRecallsErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"results": [{"recalling_firm": "X", "product_description": "Y"}]}`, "results[0]: recall_number"},
		{`{"results": [{"recall_number": "Z-1", "recalling_firm": "X"}]}`, "product_description"},
		{`{"results": []}`, "empty"},
		{`{"results": {"a": 1}}`, "field results"},
		{`{"results": [`, "r.json:1:"},
	}
	for _, tt := range tests {
		_, err := ParseRecalls("r.json", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.doc, err, tt.want)
		}
	}
}
