package advisory

import (
	"encoding/json"
	"testing"
)

// TestRowsRoundTrip: a matcher built from stored rows answers like the
// one built from the parsed files (the JSON kept loses nothing matching
// needs, parsed ranges included).
func TestRowsRoundTrip(t *testing.T) {
	var rows []Row
	for _, f := range []struct{ name, data string }{{"icsma.json", icsma}, {"recall.json", recallFile}} {
		d, err := Parse(f.name, []byte(f.data))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Rows(d, f.name)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rs...)
	}
	m, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	fresh := testMatcher(t)
	for _, tg := range []Target{
		{"Baxter", "Welch Allyn Connex Spot Monitor", "1.40", "", nil},
		{"Philips", "MX40", "B.06.10", "", nil},
		{"Hospira", "Plum 360", "15.1", "15012345", nil},
	} {
		a, b := m.Match(tg), fresh.Match(tg)
		if len(a) != len(b) || len(a) > 0 && (a[0].Document != b[0].Document || a[0].Certain != b[0].Certain || a[0].Reason != b[0].Reason) {
			t.Errorf("%+v: loaded %+v, fresh %+v", tg, a, b)
		}
	}
	bad := []Row{{Kind: KindCSAF, ID: "X", Data: json.RawMessage(`{`)}}
	if _, err := FromRows(bad); err == nil {
		t.Error("a stored row that does not decode was accepted")
	}
}
