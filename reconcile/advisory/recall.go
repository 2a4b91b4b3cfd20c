package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
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
	ProductType         string          `json:"product_type"`
	OpenFDA             *struct {
		DeviceName       string   `json:"device_name"`
		DeviceClass      string   `json:"device_class"`
		ManufacturerName []string `json:"manufacturer_name"`
	} `json:"openfda"`
}

// ErrNotDevice reports an openFDA file whose records are not device
// recalls (a food or drug enforcement report): refused, with a warning.
var ErrNotDevice = errors.New("advisory: not a device recall")

// maxSkipped bounds the messages kept about skipped records.
const maxSkipped = 50

// ParseRecalls parses an openFDA device recall or enforcement file: an
// object with "results", a bare array of results, or one bare record.
// Records that cannot be used (no id, or not a device) are skipped; the
// error is returned only when no record is usable. Use ParseRecallsReport
// to learn what was skipped.
func ParseRecalls(name string, data []byte) ([]Recall, error) {
	rs, _, err := ParseRecallsReport(name, data)
	return rs, err
}

// ParseRecallsReport is ParseRecalls that also returns one message per
// skipped record (at most 50, then a count), each naming the file and the
// record's index. A file whose records are all of another product type
// (food, drugs) is an error wrapping ErrNotDevice.
func ParseRecallsReport(name string, data []byte) ([]Recall, []string, error) {
	if len(data) > MaxDocument {
		return nil, nil, fmt.Errorf("%s: %w: over the limit of %s", name, ErrTooLarge, inventory.FormatSize(MaxDocument))
	}
	trim := bytes.TrimSpace(data)
	var raws []json.RawMessage
	switch {
	case len(trim) > 0 && trim[0] == '[':
		if err := json.Unmarshal(trim, &raws); err != nil {
			return nil, nil, jsonError(name, trim, err)
		}
	default:
		var env struct {
			Results *[]json.RawMessage `json:"results"`
		}
		if err := json.Unmarshal(trim, &env); err != nil {
			return nil, nil, jsonError(name, trim, err)
		}
		if env.Results != nil {
			raws = *env.Results
		} else {
			// One bare record, as openFDA's documentation shows them.
			raws = []json.RawMessage{trim}
		}
	}
	out := make([]Recall, 0, len(raws))
	var skipped []string
	nSkipped, notDevice := 0, 0
	skip := func(msg string) {
		nSkipped++
		if len(skipped) < maxSkipped {
			skipped = append(skipped, msg)
		}
	}
	for i, raw := range raws {
		var r fdaRecall
		if err := json.Unmarshal(raw, &r); err != nil {
			skip(fmt.Sprintf("%s: results[%d]: %v", name, i, err))
			continue
		}
		if pt := strings.TrimSpace(r.ProductType); pt != "" && !strings.EqualFold(pt, "Devices") && !strings.EqualFold(pt, "Device") {
			notDevice++
			skip(fmt.Sprintf("%s: results[%d] (%s): product_type %q is not a device: skipped", name, i, clip(strings.TrimSpace(r.RecallNumber)), clip(pt)))
			continue
		}
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
			if rc.Firm == "" && len(r.OpenFDA.ManufacturerName) > 0 {
				rc.Firm = strings.TrimSpace(r.OpenFDA.ManufacturerName[0])
			}
		}
		if rc.Product == "" {
			// openFDA's device/recall records may leave the description
			// out; the device name is what they carry.
			rc.Product = rc.DeviceName
		}
		rc.Initiated = parseFDADate(r.EventDateInitiated)
		if rc.Initiated.IsZero() {
			rc.Initiated = parseFDADate(r.RecallInitiatedDate)
		}
		if rc.ID == "" {
			skip(fmt.Sprintf("%s: results[%d]: recall_number, product_res_number and cfres_id all missing: skipped", name, i))
			continue
		}
		if rc.Product == "" {
			skip(fmt.Sprintf("%s: results[%d] (%s): product_description and openfda.device_name missing: skipped", name, i, clip(rc.ID)))
			continue
		}
		out = append(out, rc)
	}
	if nSkipped > len(skipped) {
		skipped = append(skipped, fmt.Sprintf("%s: %d more records skipped", name, nSkipped-len(skipped)))
	}
	switch {
	case len(out) == 0 && notDevice > 0 && notDevice == nSkipped:
		return nil, skipped, fmt.Errorf("%s: %w: %d records of another product type (%s)", name, ErrNotDevice, notDevice, skipped[0])
	case len(out) == 0 && len(raws) == 0:
		return nil, nil, fmt.Errorf("%s: results: empty", name)
	case len(out) == 0:
		return nil, skipped, fmt.Errorf("%s: no usable recall record (%d skipped; first: %s)", name, nSkipped, skipped[0])
	}
	return out, skipped, nil
}

// Severity grades a recall by its FDA class: Class I (may cause serious
// harm or death) is "critical", Class II "warning", Class III "notice".
// An unclassified recall is "critical": it has not been judged milder.
func (r *Recall) Severity() string {
	c := strings.ToUpper(strings.TrimSpace(r.Class))
	switch {
	case strings.HasSuffix(c, "CLASS III"):
		return "notice"
	case strings.HasSuffix(c, "CLASS II"):
		return "warning"
	}
	return "critical"
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
	for _, k := range []string{"results", "recalling_firm", "product_res_number", "recall_number", "cfres_id", "res_event_number"} {
		if _, ok := top[k]; ok {
			return KindRecall, nil
		}
	}
	return "", ErrFormat
}
