package advisory

import (
	"encoding/json"
	"fmt"
	"time"
)

// Row is one document as a store keeps it: a few columns to list and
// the parsed document as JSON. It is plain data, so that this package
// needs no database: the caller moves rows in and out of storage.
type Row struct {
	Kind      Kind
	ID        string
	Revision  string
	Released  time.Time
	Title     string
	Publisher string
	URL       string
	Score     float64
	Event     string
	Class     string
	Status    string
	Source    string
	Data      json.RawMessage
}

// Rows turns a parsed document into the rows to keep: one for an
// advisory, one per recall. source names the file.
func Rows(d Document, source string) ([]Row, error) {
	switch d.Kind {
	case KindCSAF:
		a := d.Advisory
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("advisory %s: %w", a.ID, err)
		}
		return []Row{{Kind: KindCSAF, ID: a.ID, Revision: a.Revision, Released: a.Released, Title: a.Title,
			Publisher: a.Publisher, URL: a.URL, Score: a.MaxCVSS(), Source: source, Data: b}}, nil
	case KindRecall:
		out := make([]Row, 0, len(d.Recalls))
		for i := range d.Recalls {
			r := &d.Recalls[i]
			b, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("recall %s: %w", r.ID, err)
			}
			out = append(out, Row{Kind: KindRecall, ID: r.ID, Released: r.Initiated, Title: r.Product,
				Publisher: r.Firm, URL: r.URL, Event: r.Event, Class: r.Class, Status: r.Status, Source: source, Data: b})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: kind %q", ErrFormat, d.Kind)
}

// FromRows prepares a matcher over stored rows (advisories and recalls,
// in any order). A row that no longer decodes is an error naming it.
func FromRows(rows []Row) (*Matcher, error) {
	// A malformed reviewed table is an error here, where the matcher is
	// loaded, rather than a panic at start-up.
	if err := CheckTables(); err != nil {
		return nil, err
	}
	var advs []*Advisory
	var recalls []Recall
	for _, r := range rows {
		switch r.Kind {
		case KindCSAF:
			var a Advisory
			if err := json.Unmarshal(r.Data, &a); err != nil {
				return nil, fmt.Errorf("stored advisory %s: %w", r.ID, err)
			}
			advs = append(advs, &a)
		case KindRecall:
			var rc Recall
			if err := json.Unmarshal(r.Data, &rc); err != nil {
				return nil, fmt.Errorf("stored recall %s: %w", r.ID, err)
			}
			recalls = append(recalls, rc)
		default:
			return nil, fmt.Errorf("stored document %s: %w: kind %q", r.ID, ErrFormat, r.Kind)
		}
	}
	return NewMatcher(advs, recalls), nil
}
