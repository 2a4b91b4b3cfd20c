package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestModelAdvisoryAliases stores a catalog model's advisory aliases,
// reads them back in order without blanks or case duplicates, reports an
// alias-only change as a change, and refuses an alias holding the
// separator rather than splitting it silently.
func TestModelAdvisoryAliases(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	put := func(m Model) (bool, error) {
		var changed bool
		err := s.Write(ctx, "test", func(w *Writer) error {
			var err error
			changed, err = w.PutModel(m)
			return err
		})
		return changed, err
	}
	m := Model{Manufacturer: "Medtronic", Model: "CareLink Home Monitor",
		AdvisoryAliases: []string{" MyCareLink Monitor ", "", "24950", "mycarelink monitor"}}
	if _, err := put(m); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Models(ctx)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Models = %v, %v", ms, err)
	}
	if want := []string{"MyCareLink Monitor", "24950"}; !slices.Equal(ms[0].AdvisoryAliases, want) {
		t.Errorf("aliases = %q, want %q", ms[0].AdvisoryAliases, want)
	}
	m.AdvisoryAliases = []string{"MyCareLink Monitor", "24950", "24952"}
	if changed, err := put(m); err != nil || !changed {
		t.Errorf("alias change: changed %v, %v; want a change", changed, err)
	}
	if changed, err := put(m); err != nil || changed {
		t.Errorf("same aliases again: changed %v, %v; want none", changed, err)
	}
	m.AdvisoryAliases = []string{"A|B"}
	if _, err := put(m); !errors.Is(err, ErrConstraint) {
		t.Errorf("alias with the separator: %v, want ErrConstraint", err)
	}
	m.AdvisoryAliases = []string{strings.Repeat("x", 5000)}
	if _, err := put(m); !errors.Is(err, ErrConstraint) {
		t.Errorf("aliases over the limit: %v, want ErrConstraint", err)
	}
	ms, _ = s.Models(ctx)
	if want := []string{"MyCareLink Monitor", "24950", "24952"}; !slices.Equal(ms[0].AdvisoryAliases, want) {
		t.Errorf("after a refused write, aliases = %q, want %q", ms[0].AdvisoryAliases, want)
	}
}
