package advisory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/biomed-rounds/rounds/store"
)

// RefDocs turns a parsed document into the rows the store keeps: one for
// an advisory, one per recall. source names the file.
func RefDocs(d Document, source string) ([]store.RefDoc, error) {
	switch d.Kind {
	case KindCSAF:
		a := d.Advisory
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("advisory %s: %w", a.ID, err)
		}
		return []store.RefDoc{{Kind: store.RefAdvisory, ID: a.ID, Revision: a.Revision, Released: a.Released, Title: a.Title,
			Publisher: a.Publisher, URL: a.URL, Score: a.MaxCVSS(), Source: source, Data: b}}, nil
	case KindRecall:
		out := make([]store.RefDoc, 0, len(d.Recalls))
		for i := range d.Recalls {
			r := &d.Recalls[i]
			b, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("recall %s: %w", r.ID, err)
			}
			out = append(out, store.RefDoc{Kind: store.RefRecall, ID: r.ID, Released: r.Initiated, Title: r.Product,
				Publisher: r.Firm, URL: r.URL, Event: r.Event, Class: r.Class, Status: r.Status, Source: source, Data: b})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: kind %q", ErrFormat, d.Kind)
}

// Load reads the advisories and recalls imported into the store and
// prepares a matcher over them. A stored row that no longer decodes is an
// error naming it.
func Load(ctx context.Context, st *store.Store) (*Matcher, error) {
	docs, err := st.Refs(ctx, store.RefAdvisory)
	if err != nil {
		return nil, fmt.Errorf("advisories: %w", err)
	}
	advs := make([]*Advisory, 0, len(docs))
	for _, d := range docs {
		var a Advisory
		if err := json.Unmarshal(d.Data, &a); err != nil {
			return nil, fmt.Errorf("stored advisory %s: %w", d.ID, err)
		}
		advs = append(advs, &a)
	}
	rdocs, err := st.Refs(ctx, store.RefRecall)
	if err != nil {
		return nil, fmt.Errorf("recalls: %w", err)
	}
	recalls := make([]Recall, 0, len(rdocs))
	for _, d := range rdocs {
		var r Recall
		if err := json.Unmarshal(d.Data, &r); err != nil {
			return nil, fmt.Errorf("stored recall %s: %w", d.ID, err)
		}
		recalls = append(recalls, r)
	}
	return NewMatcher(advs, recalls), nil
}
