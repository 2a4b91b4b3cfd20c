package version

import "testing"

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v2.1.0", "2.1", 0},
		{"2.1", "2.1.0", 0},
		{"02.01.00", "2.1", 0},
		{"02.01.00b", "2.1.0", 1},
		{"02.01.00b", "02.01.00a", 1},
		{"02.01.00b", "2.1.1", -1},
		{"4.3 SP1", "4.3", 1},
		{"4.3 SP1", "4.3 SP2", -1},
		{"4.3 SP2", "4.4", -1},
		{"4.3 sp1", "4.3 SP1", 0},
		{"2.1.0-beta", "2.1.0", -1},
		{"2.1.0-rc1", "2.1.0-beta2", 1},
		{"2.1.0-rc1", "2.1.0-rc2", -1},
		{"1.0a1", "1.0", -1},
		{"1.0b2", "1.0a3", 1},
		{"2.10", "2.9", 1},
		{"10.0", "9.99.99", 1},
		{"Version 3.1", "v3.0.9", 1},
		{"FW 3.1", "firmware 3.1", 0},
		{"B.06.18", "B.06.17", 1},
		{"B.06.18", "A.10.05", 1},
		{"1.2.3.4567", "1.2.3", 1},
		{"1.2.3 build 12", "1.2.3 build 9", 1},
		{"99999999999999999999999.1", "99999999999999999999998.9", 1},
		{"2.1.0+build5", "2.1.0", 1},
		{"3.0_1", "3.0.1", 0},
		{"R2.0", "2.0", 0},
		{"Rev 3.1", "3.0", 1},
		{"686D", "690B", -1},
		{"03-21", "04-12", -1},
		{"03-21", "03-05", 1},
		{"21H2", "22H2", -1},
		{"Version: 2.1 (build 345)", "2.1", 1},
	}
	for _, tt := range tests {
		got, ok := Compare(tt.a, tt.b)
		if !ok {
			t.Errorf("Compare(%q, %q) not ok", tt.a, tt.b)
			continue
		}
		if got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		// Antisymmetry.
		if back, _ := Compare(tt.b, tt.a); back != -tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, back, -tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "latest", "n/a", "unknown", "beta", "   ", string(make([]byte, 200))} {
		if v, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %v, want not a version", s, v)
		}
	}
}

func TestCompareIsAnOrder(t *testing.T) {
	// Every triple of these sorts consistently (transitivity), so that
	// sorting firmware lists and range checks agree.
	vs := []string{"v2.1.0", "2.1", "02.01.00b", "02.01.00a", "2.1.1", "4.3", "4.3 SP1", "4.3 SP2", "4.4", "2.1.0-beta",
		"2.1.0-rc1", "2.1.0-rc2", "1.0a1", "1.0b2", "1.0", "2.10", "2.9", "10.0", "B.06.18", "B.06.17", "A.10.05",
		"1.2.3 build 12", "1.2.3 build 9", "2.1.0+build5", "R2.0", "686D", "690B", "03-21", "21H2", "2.1.0-dev", "2.1.0.1"}
	var ps []Version
	for _, s := range vs {
		p, ok := Parse(s)
		if !ok {
			t.Fatalf("Parse(%q) failed", s)
		}
		ps = append(ps, p)
	}
	for _, a := range ps {
		for _, b := range ps {
			for _, c := range ps {
				if a.Compare(b) <= 0 && b.Compare(c) <= 0 && a.Compare(c) > 0 {
					t.Errorf("not transitive: %s <= %s <= %s but %s > %s", a, b, c, a, c)
				}
			}
		}
	}
}
