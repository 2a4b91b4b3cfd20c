package snipeit_test

import (
	"context"
	"strings"
	"testing"
)

func TestCheckReportsWhatWorks(t *testing.T) {
	tests := []struct {
		version string
		max     int
		want    []string
	}{
		{"v8.1.4", 500, []string{"audits: Snipe-IT v8.1.4: POST /hardware/{id}/audit", "NO time zone"}},
		{"v7.0.13", 5, []string{"legacy route POST /hardware/audit", "caps pages at 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			e := newEnv(t)
			e.fake.Version, e.fake.MaxLimit = tt.version, tt.max
			for i := 0; i < 8; i++ {
				e.asset("A-"+string(rune('0'+i)), "MAIN/3/3W-12")
			}
			before := e.fake.Stats()
			caps, err := e.conn.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, c := range caps {
				if !c.OK {
					b.WriteString("NO ")
				}
				b.WriteString(c.Name + ": " + c.Detail + "\n")
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("check lacks %q:\n%s", w, b.String())
				}
			}
			if after := e.fake.Stats(); after.Patches+after.Creates+after.Audits != before.Patches+before.Creates+before.Audits {
				t.Error("check wrote")
			}
		})
	}
}
