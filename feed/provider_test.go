package feed

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openStore opens a new database with a catalog naming the given
// manufacturers.
func openStore(t testing.TB, manufacturers ...string) *store.Store {
	t.Helper()
	return openStoreAt(t, filepath.Join(t.TempDir(), "rounds.db"), manufacturers...)
}

// openStoreAt opens (creating) the database at path with a catalog.
func openStoreAt(t testing.TB, path string, manufacturers ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(manufacturers) > 0 {
		err = st.Write(ctx, "test", func(w *store.Writer) error {
			for _, m := range manufacturers {
				if _, err := w.PutModel(store.Model{Manufacturer: m, Model: "Model " + m}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func storedIDs(t testing.TB, st *store.Store, kind store.RefKind) []string {
	t.Helper()
	ds, err := st.Refs(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}
