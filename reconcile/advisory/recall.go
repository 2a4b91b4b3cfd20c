package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Recall is one recalled product from an openFDA device recall or
// enforcement report.
type Recall struct {
	// ID is the product recall number ("Z-1234-2024"), else the cfRES id.
	ID    string `json:"id"`
	Event string `json:"event,omitempty"`
	Firm  string `json:"firm"`
	// Product is the product description, free text naming the device.
	Product string `json:"product"`
	// Codes is the code information: lots, serial numbers, models.
	Codes       string    `json:"codes,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Class       string    `json:"class,omitempty"`
	Status      string    `json:"status,omitempty"`
	Initiated   time.Time `json:"initiated,omitzero"`
	ProductCode string    `json:"product_code,omitempty"`
	KNumbers    []string  `json:"k_numbers,omitempty"`
	DeviceName  string    `json:"device_name,omitempty"`
	URL         string    `json:"url,omitempty"`
}

type fdaRecall struct {
	CFResID             json.RawMessage `json:"cfres_id"`
	ProductResNumber    string          `json:"product_res_number"`
	RecallNumber        string          `json:"recall_number"`
	ResEventNumber      json.RawMessage `json:"res_event_number"`
	EventID             json.RawMessage `json:"event_id"`
	RecallingFirm       string          `json:"recalling_firm"`
	ProductDescription  string          `json:"product_description"`
	CodeInfo            string          `json:"code_info"`
	ReasonForRecall     string          `json:"reason_for_recall"`
	Classification      string          `json:"classification"`
	RecallStatus        string          `json:"recall_status"`
	Status              string          `json:"status"`
	EventDateInitiated  string          `json:"event_date_initiated"`
	RecallInitiatedDate string          `json:"recall_initiation_date"`
	ProductCode         string          `json:"product_code"`
	KNumbers            []string        `json:"k_numbers"`
	OpenFDA             *struct {
		DeviceName  string `json:"device_name"`
		DeviceClass string `json:"device_class"`
	} `json:"openfda"`
}

// ParseRecalls parses an openFDA device recall or enforcement file: an
// object with "results", a bare array of results, or one result. Each
// result needs an id (recall_number, product_res_number or cfres_id), a
// recalling_firm and a product_description; a result without them is an
// error naming its index.
func ParseRecalls(name string, data []byte) ([]Recall, error) {
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", name, ErrTooLarge, len(data), MaxDocument)
	}
	trim := bytes.TrimSpace(data)
	var results []fdaRecall
	switch {
	case len(trim) > 0 && trim[0] == '[':
		if err := json.Unmarshal(trim, &results); err != nil {
			return nil, jsonError(name, trim, err)
		}
	default:
		var env struct {
			Results *[]fdaRecall `json:"results"`
		}
		if err := json.Unmarshal(trim, &env); err != nil {
			return nil, jsonError(name, trim, err)
		}
		if env.Results != nil {
			results = *env.Results
		} else {
			var one fdaRecall
			if err := json.Unmarshal(trim, &one); err != nil {
				return nil, jsonError(name, trim, err)
			}
			if one.RecallingFirm == "" && one.ProductDescription == "" {
				return nil, fmt.Errorf("%s: results: missing (%w)", name, ErrFormat)
			}
			results = []fdaRecall{one}
		}
	}
	out := make([]Recall, 0, len(results))
	for i, r := range results {
		rc := Recall{ID: strings.TrimSpace(r.RecallNumber), Firm: strings.TrimSpace(r.RecallingFirm),
			Product: strings.TrimSpace(r.ProductDescription), Codes: r.CodeInfo, Reason: r.ReasonForRecall,
			Class: r.Classification, Status: r.RecallStatus, ProductCode: r.ProductCode, KNumbers: r.KNumbers}
		if rc.ID == "" {
			rc.ID = strings.TrimSpace(r.ProductResNumber)
		}
		cfres := rawString(r.CFResID)
		if rc.ID == "" && cfres != "" {
			rc.ID = "cfRES-" + cfres
		}
		if cfres != "" {
			rc.URL = "https://www.accessdata.fda.gov/scripts/cdrh/cfdocs/cfRES/res.cfm?id=" + cfres
		}
		rc.Event = rawString(r.ResEventNumber)
		if rc.Event == "" {
			rc.Event = rawString(r.EventID)
		}
		if rc.Status == "" {
			rc.Status = r.Status
		}
		if r.OpenFDA != nil {
			rc.DeviceName = r.OpenFDA.DeviceName
			if rc.Class == "" && r.OpenFDA.DeviceClass != "" {
				rc.Class = "Device class " + r.OpenFDA.DeviceClass
			}
		}
		rc.Initiated = parseFDADate(r.EventDateInitiated)
		if rc.Initiated.IsZero() {
			rc.Initiated = parseFDADate(r.RecallInitiatedDate)
		}
		switch {
		case rc.ID == "":
			return nil, fmt.Errorf("%s: results[%d]: recall_number, product_res_number and cfres_id all missing", name, i)
		case rc.Firm == "":
			return nil, fmt.Errorf("%s: results[%d] (%s): recalling_firm: missing", name, i, clip(rc.ID))
		case rc.Product == "":
			return nil, fmt.Errorf("%s: results[%d] (%s): product_description: missing", name, i, clip(rc.ID))
		}
		out = append(out, rc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: results: empty", name)
	}
	return out, nil
}

// rawString reads a JSON string or number as text.
func rawString(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(m, &n) == nil {
		return n.String()
	}
	return ""
}

func parseFDADate(s string) time.Time {
	for _, l := range []string{"2006-01-02", "20060102"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Kind names the kind of a reference document.
type Kind string

// The document kinds Detect recognises.
const (
	KindCSAF   Kind = "csaf"
	KindRecall Kind = "recall"
)

// Detect tells a CSAF document from an openFDA recall file by its
// top-level keys, without parsing the whole of it.
func Detect(data []byte) (Kind, error) {
	trim := bytes.TrimSpace(data)
	if len(trim) > 0 && trim[0] == '[' {
		return KindRecall, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trim, &top); err != nil {
		return "", ErrFormat
	}
	if _, ok := top["document"]; ok {
		return KindCSAF, nil
	}
	for _, k := range []string{"results", "recalling_firm", "product_res_number", "recall_number"} {
		if _, ok := top[k]; ok {
			return KindRecall, nil
		}
	}
	return "", ErrFormat
}
