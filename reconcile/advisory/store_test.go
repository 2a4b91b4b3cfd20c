package advisory

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/biomed-rounds/rounds/store"
)

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, f := range []struct{ name, data string }{{"icsma.json", icsma}, {"recall.json", recallFile}} {
		d, err := Parse(f.name, []byte(f.data))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := RefDocs(d, f.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Write(ctx, "t", func(w *store.Writer) error {
			for _, r := range rows {
				if _, err := w.PutRef(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Load(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// The loaded matcher answers like the one built from the parsed files.
	fresh := testMatcher(t)
	for _, tg := range []Target{
		{"Baxter", "Connex Spot Monitor", "1.40", ""},
		{"Philips", "MX40", "B.06.10", ""},
		{"Philips", "IntelliVue Information Center iX", "4.2", ""},
		{"Hospira", "Plum 360", "15.1", "15012345"},
	} {
		a, b := m.Match(tg), fresh.Match(tg)
		if len(a) == 0 || len(a) != len(b) || a[0].Document != b[0].Document || a[0].Certain != b[0].Certain || a[0].Reason != b[0].Reason {
			t.Errorf("%+v: loaded %+v, fresh %+v", tg, a, b)
		}
	}
}
