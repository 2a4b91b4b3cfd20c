package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestPutRef(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	put := func(d RefDoc) (RefOutcome, error) {
		var out RefOutcome
		err := s.Write(ctx, "tester", func(w *Writer) error {
			var err error
			out, err = w.PutRef(d)
			return err
		})
		return out, err
	}
	jan, feb := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	adv := RefDoc{Kind: RefAdvisory, ID: "ICSMA-25-001-01", Revision: "1", Released: jan, Title: "BD Alaris", Score: 7.5,
		Source: "a.json", Data: json.RawMessage(`{"id":"ICSMA-25-001-01","v":1}`)}
	steps := []struct {
		name string
		doc  RefDoc
		want RefOutcome
	}{
		{"first import", adv, RefAdded},
		{"same again", adv, RefUnchanged},
		{"newer revision", func() RefDoc {
			d := adv
			d.Revision, d.Released, d.Data = "2", feb, json.RawMessage(`{"v":2}`)
			return d
		}(), RefUpdated},
		{"older revision after newer", func() RefDoc { d := adv; d.Data = json.RawMessage(`{"v":1.5}`); return d }(), RefKeptNewer},
		{"recall", RefDoc{Kind: RefRecall, ID: "Z-1", Publisher: "CareFusion", Title: "Alaris", Class: "Class II", Released: jan, Data: json.RawMessage(`{}`)}, RefAdded},
	}
	for _, st := range steps {
		got, err := put(st.doc)
		if err != nil || got != st.want {
			t.Errorf("%s: %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	as, err := s.Refs(ctx, RefAdvisory)
	if err != nil || len(as) != 1 {
		t.Fatalf("advisories = %v, %v", as, err)
	}
	if a := as[0]; a.Revision != "2" || !a.Released.Equal(feb) || string(a.Data) != `{"v":2}` || a.Score != 7.5 || a.SHA256 == "" || a.ImportedAt.IsZero() {
		t.Errorf("stored advisory = %+v", a)
	}
	rs, err := s.Refs(ctx, RefRecall)
	if err != nil || len(rs) != 1 || rs[0].Publisher != "CareFusion" || rs[0].Class != "Class II" {
		t.Errorf("recalls = %+v, %v", rs, err)
	}
	for _, bad := range []RefDoc{
		{Kind: RefAdvisory, Data: json.RawMessage(`{}`)},
		{Kind: RefAdvisory, ID: "X", Data: json.RawMessage(`{`)},
		{Kind: "poster", ID: "X", Data: json.RawMessage(`{}`)},
	} {
		if _, err := put(bad); !errors.Is(err, ErrConstraint) {
			t.Errorf("%+v: err = %v, want ErrConstraint", bad, err)
		}
	}
	if _, err := s.Refs(ctx, "poster"); !errors.Is(err, ErrConstraint) {
		t.Errorf("Refs(unknown) = %v", err)
	}
}
