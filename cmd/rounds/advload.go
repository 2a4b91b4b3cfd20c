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
