package report

import (
	"encoding/json"
	"io"
)

// jsonReport is the JSON shape: the report with its totals.
type jsonReport struct {
	Report
	Totals Totals `json:"totals"`
}

// WriteJSON renders the report as one indented JSON document. JSON
// escapes control characters itself, so values are written as they are.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	rr := r
	rr.Rooms = make([]Room, len(r.Rooms))
	for i, rm := range r.Rooms {
		rm.Findings = append([]Finding(nil), rm.Findings...)
		SortFindings(rm.Findings)
		if rm.Findings == nil {
			rm.Findings = []Finding{}
		}
		rr.Rooms[i] = rm
	}
	return enc.Encode(jsonReport{Report: rr, Totals: r.Totals()})
}
