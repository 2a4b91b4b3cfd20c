package recog

import (
	"strings"
	"testing"
)

// TestExamples checks every fingerprint against the examples Recog ships
// with it: the pattern must match and yield the parameters the example
// names. A few patterns use Ruby features RE2 lacks; they are skipped and
// must stay few.
func TestExamples(t *testing.T) {
	if err := Err(); err != nil {
		t.Fatal(err)
	}
	total, skipped, failed, examples := 0, 0, 0, 0
	for name, counts := range Loaded() {
		d := get(name)
		total += len(d.fps)
		skipped += counts[1]
		for i := range d.fps {
			f := &d.fps[i]
			re := f.regexp()
			if re == nil {
				continue
			}
			for _, e := range f.Examples {
				examples++
				if !strings.Contains(e.Text, "\n") && !f.may(e.Text) {
					failed++
					t.Logf("%s: prefix %q of %q rejects its example %q", name, f.lit, f.Pattern, e.Text)
					continue
				}
				m := re.FindStringSubmatch(e.Text)
				if m == nil {
					failed++
					t.Logf("%s: %q does not match its example %q", name, f.Pattern, e.Text)
					continue
				}
				got := params(f, m)
				for k, v := range e.Expect {
					if got[k] != v {
						failed++
						t.Logf("%s: %q on %q: %s = %q, want %q", name, f.Pattern, e.Text, k, got[k], v)
					}
				}
			}
		}
	}
	t.Logf("%d fingerprints, %d skipped (not RE2), %d examples, %d failed", total, skipped, examples, failed)
	if total < 1500 || skipped*50 > total || failed > 0 {
		t.Errorf("%d fingerprints, %d skipped, %d of %d examples failed", total, skipped, failed, examples)
	}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		db, text string
		want     map[string]string
	}{
		{SSHBanner, "OpenSSH_7.4", map[string]string{"service.vendor": "OpenBSD", "service.product": "OpenSSH", "service.version": "7.4"}},
		{HTTPServer, "Microsoft-IIS/8.5", map[string]string{"service.vendor": "Microsoft", "service.product": "IIS", "service.version": "8.5"}},
		{HTTPServer, "Boa/0.94.14rc21", map[string]string{"service.product": "Boa", "service.version": "0.94.14rc21"}},
		{DICOMVersion, "OFFIS_DCMTK_364", map[string]string{"service.vendor": "OFFIS", "service.product": "DCMTK", "service.version": "3.6.4"}},
		{DICOMVersion, "dcm4che-5.31.0", map[string]string{"service.product": "dcm4che", "service.version": "5.31.0"}},
	}
	for _, c := range cases {
		m, ok := Lookup(c.db, c.text)
		if !ok {
			t.Errorf("%s %q: no match", c.db, c.text)
			continue
		}
		for k, v := range c.want {
			if m.Params[k] != v {
				t.Errorf("%s %q: %s = %q, want %q (%v)", c.db, c.text, k, m.Params[k], v, m.Params)
			}
		}
	}
	if _, ok := Lookup(SSHBanner, "nothing like a banner \x00\xff"); ok {
		t.Error("garbage matched")
	}
	if _, ok := Lookup("no.such.db", "x"); ok {
		t.Error("unknown database matched")
	}
}
