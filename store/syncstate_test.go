package store

import (
	"encoding/json"
	"testing"
)

func FuzzEncodeMap(f *testing.F) {
	f.Add("location", "MAIN/3/3W-12", "note", "a \"quoted\"\n\ttab \\ back \x01 \xff end é")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		var back map[string]string
		if err := json.Unmarshal([]byte(syncEncodeMap(m)), &back); err != nil {
			t.Fatalf("syncEncodeMap(%q) is not JSON: %v", m, err)
		}
		want, _ := json.Marshal(m)
		var wantBack map[string]string
		json.Unmarshal(want, &wantBack)
		if !syncSameMap(back, wantBack) {
			t.Fatalf("round trip %q -> %q, encoding/json gives %q", m, back, wantBack)
		}
	})
}
