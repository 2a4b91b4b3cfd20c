package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenPathWithURICharacters: a database path holding the characters
// SQLite's URI filenames treat specially opens exactly that file (a '#'
// used to cut the path short, so two databases shared one file).
func TestOpenPathWithURICharacters(t *testing.T) {
	for _, name := range []string{"ward#3.db", "a?b.db", "pct%41.db", "x?mode=ro#y.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			ctx := context.Background()
			st, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("database not at %q: %v", path, err)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if n := e.Name(); n != name && n != name+"-wal" && n != name+"-shm" {
					t.Errorf("stray file %q beside %q", n, name)
				}
			}
			ro, err := OpenReadOnly(ctx, path)
			if err != nil {
				t.Fatalf("read-only open: %v", err)
			}
			ro.Close()
		})
	}
}
