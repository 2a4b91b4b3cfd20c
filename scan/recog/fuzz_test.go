package recog

import (
	"strings"
	"testing"
)

var fuzzDBs = []string{HTTPServer, HTMLTitle, WWWAuth, SSHBanner, TelnetBanner, SNMPSysDescr, SNMPSysObjectID, DICOMVersion}

// FuzzLookup feeds any text to every database: no panic, and every
// parameter is a fixed value of the fingerprint or a piece of the text.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"OpenSSH_7.4", "Microsoft-IIS/8.5", "Boa/0.94.14rc21", "OFFIS_DCMTK_364",
		"Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(50)SE4", "\x1b[31mred", strings.Repeat("A", 5000)} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		db := fuzzDBs[int(which)%len(fuzzDBs)]
		// The literal-prefix filter never rejects what the pattern matches.
		if d := get(db); d != nil && !strings.Contains(text, "\n") && len(text) <= MaxInput {
			for i := range d.fps {
				f := &d.fps[i]
				if f.lit != "" && !f.may(text) {
					if re := f.regexp(); re != nil && re.MatchString(text) {
						t.Fatalf("%s: prefix %q rejects %q, which %q matches", db, f.lit, text, f.Pattern)
					}
				}
			}
		}
		m, ok := Lookup(db, text)
		if !ok {
			return
		}
		if len(text) > MaxInput {
			text = text[:MaxInput]
		}
		for k, v := range m.Params {
			if v == "" {
				t.Errorf("%s: empty %s", db, k)
			}
			if len(v) > MaxInput+1024 {
				t.Errorf("%s: %s is %d bytes", db, k, len(v))
			}
		}
	})
}
