package main

import (
	"context"
	"fmt"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/store"
)

// loadAdvisories reads the imported advisories and recalls from the store
// and prepares a matcher: the database read lives here and in store, so
// that package advisory (and reconcile) need no SQL driver.
func loadAdvisories(ctx context.Context, st *store.Store) (*advisory.Matcher, error) {
	var rows []advisory.Row
	for _, k := range []store.RefKind{store.RefAdvisory, store.RefRecall} {
		docs, err := st.Refs(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		for _, d := range docs {
			kind := advisory.KindCSAF
			if k == store.RefRecall {
				kind = advisory.KindRecall
			}
			rows = append(rows, advisory.Row{Kind: kind, ID: d.ID, Data: d.Data})
		}
	}
	return advisory.FromRows(rows)
}

// refDocs turns a parsed document into the rows store keeps.
func refDocs(d advisory.Document, source string) ([]store.RefDoc, error) {
	rows, err := advisory.Rows(d, source)
	if err != nil {
		return nil, err
	}
	out := make([]store.RefDoc, 0, len(rows))
	for _, r := range rows {
		kind := store.RefAdvisory
		if r.Kind == advisory.KindRecall {
			kind = store.RefRecall
		}
		out = append(out, store.RefDoc{Kind: kind, ID: r.ID, Revision: r.Revision, Released: r.Released, Title: r.Title,
			Publisher: r.Publisher, URL: r.URL, Score: r.Score, Event: r.Event, Class: r.Class, Status: r.Status,
			Source: r.Source, Data: r.Data})
	}
	return out, nil
}
