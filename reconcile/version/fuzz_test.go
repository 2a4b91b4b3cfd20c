package version

import "testing"

func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"v2.1.0", "2.1"}, {"02.01.00b", "2.1"}, {"4.3 SP1", "4.3"}, {"B.06.18", "1.0"},
		{"2.1.0-rc1", "2.1.0-beta"}, {"1.0a1", "1.0"}, {"99999999999999999999", "1"}, {"", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, oka := Parse(a)
		vb, okb := Parse(b)
		if oka && va.Compare(va) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
		if oka && okb {
			if c, d := va.Compare(vb), vb.Compare(va); c != -d {
				t.Fatalf("Compare(%q, %q) = %d but reverse = %d", a, b, c, d)
			}
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"All versions", "2.X", "<= 4.2", "4.X | 5.X", "vers:generic/>=1.0|<2.0|!=1.5",
		"versions prior to 3.1", "v3.0 and prior", "between 2.0 and 3.0", ">=1.0, <2.0", "2.1, 2.2 and 2.3",
		"B.06.18 and prior", "4.3 SP1 and prior", "2.0+", ">= 1.1 | <= 1.3.2", "vers:all/>=V3.0.1<V3.0.3",
		"All Versions < SE2020MP13", "<= B.12", "5.x.x", "<= 12.2.x.x", "< 3.x", "<=N", "Rev J-M", "A.01 <= C.0x | 4.0",
		"<= U61 |<= L81", "HD 16 | HD23", "A10 < A11"} {
		f.Add(s, "2.1")
	}
	f.Fuzz(func(t *testing.T, expr, v string) {
		r, err := ParseRange(expr)
		if err != nil {
			if r.All || len(r.ivs) > 0 {
				t.Fatalf("ParseRange(%q) failed but returned a non-empty range", expr)
			}
			return
		}
		_ = r.String()
		// A range never contains a version of another release stream
		// unless it is all versions.
		if pv, ok := Parse(v); ok && !r.All && r.Contains(pv) {
			for _, iv := range r.ivs {
				if iv.contains(pv) && iv.lo.set && !pv.Comparable(iv.lo.v) {
					t.Fatalf("%q contains %q across streams", expr, v)
				}
			}
		}
		in, ok := r.ContainsString(v)
		if !ok && in {
			t.Fatalf("contains an unparsable version %q", v)
		}
		// An exact range of a version contains that version.
		if pv, ok := Parse(v); ok && !Exact(pv).Contains(pv) {
			t.Fatalf("Exact(%q) does not contain itself", v)
		}
	})
}
