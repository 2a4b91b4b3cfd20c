package feed

import (
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/store"
)

// RefDocs turns a parsed document into the rows store keeps. Package
// advisory stays free of the store, so the conversion lives here, beside
// the updates that write, and `rounds advisories import` uses it too.
func RefDocs(d advisory.Document, source string) ([]store.RefDoc, error) {
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
