package advisory

import (
	"errors"
	"strings"
	"testing"
)

// TestEmbeddedTables: the reviewed tables shipped in the binary load, and
// every row has a reason (the parser refuses a row without one).
func TestEmbeddedTables(t *testing.T) {
	if err := CheckTables(); err != nil {
		t.Fatal(err)
	}
	tb := loadedTables()
	if len(tb.aliasGroups) == 0 || len(tb.renames) == 0 {
		t.Fatalf("%d alias groups, %d renames: want both tables loaded", len(tb.aliasGroups), len(tb.renames))
	}
	for _, r := range tb.renames {
		if !strings.Contains(r.reason, "ICSMA-") && !strings.Contains(r.reason, "same source") {
			t.Errorf("renames.tsv:%d: the reason cites no source: %q", r.line, r.reason)
		}
	}
}

// TestMalformedTables: a malformed table is an error naming the file and
// line at load, never a panic (issue 10: mustAliasGroups panicked at
// start-up).
func TestMalformedTables(t *testing.T) {
	const goodAliases = "# c\tn\tr\nBD\tbd\tthe short name\n"
	const goodRenames = "Philips\tA iX\tB iX\tsource\n"
	for _, tt := range []struct {
		name, aliases, renames, want string
	}{
		{"alias row without reason", goodAliases + "BD\tbecton dickinson\n", goodRenames, "aliases.tsv:3"},
		{"alias row with spaces not tabs", "BD bd reason\n", goodRenames, "aliases.tsv:1"},
		{"alias name not normalised", "BD\tBecton, Dickinson\twhy\n", goodRenames, "aliases.tsv:1: name"},
		{"alias name in two groups", goodAliases + "Other\tbd\twhy\n", goodRenames, "already belongs"},
		{"rename with three columns", goodAliases, "Philips\tA\tB\n", "renames.tsv:1"},
		{"rename with an empty column", goodAliases, "# x\nPhilips\t \tB\twhy\n", "renames.tsv:2: column 2"},
		{"rename to itself", goodAliases, "Philips\tPIC iX\tpic-ix\twhy\n", "renames.tsv:1: the two names"},
		{"binary junk", "\x00\xff\t\t\t\n", goodRenames, "aliases.tsv:1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := parseTables(tt.aliases, tt.renames)
			if err == nil || tb != nil {
				t.Fatalf("parseTables = %v, %v; want an error", tb, err)
			}
			if !errors.Is(err, ErrTable) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrTable naming %q", err, tt.want)
			}
		})
	}
	if _, err := parseTables(goodAliases, goodRenames); err != nil {
		t.Errorf("good tables: %v", err)
	}
}

// TestProductRenames: a device recorded under a product's former name is
// certain for a real advisory naming the new one (ICSMA-21-322-02 names
// "Patient Information Center iX (PIC iX)" B.02, C.02, C.03), by the
// reviewed rename table; the rename adds no brand-level flags, and names
// of other products or vendors are untouched.
func TestProductRenames(t *testing.T) {
	m := realMatcher(t)
	for _, c := range []seenCase{
		{"former name, listed version", Target{Vendor: "Philips", Model: "IntelliVue Information Center iX", Firmware: "B.02"}, "ICSMA-21-322-02", "certain"},
		{"former name, other advisory", Target{Vendor: "Philips Medical Systems", Model: "IntelliVue Information Center iX", Firmware: "B.02"}, "ICSMA-20-254-01", "certain"},
		{"abbreviation", Target{Vendor: "Philips", Model: "IIC iX", Firmware: "C.02"}, "ICSMA-21-322-02", "certain"},
		{"former name, version not listed", Target{Vendor: "Philips", Model: "IntelliVue Information Center iX", Firmware: "A.01"}, "ICSMA-21-322-02", "none"},
		// The older IntelliVue Information Center (M3150) is another
		// product: the rename does not apply (the shared words "Information
		// Center" alone give the matcher's possible, as before).
		{"different product (no iX)", Target{Vendor: "Philips", Model: "IntelliVue Information Center", Firmware: "B.02"}, "ICSMA-21-322-02", "possible"},
		{"other vendor", Target{Vendor: "Spacelabs", Model: "IntelliVue Information Center iX", Firmware: "B.02"}, "ICSMA-21-322-02", "none"},
		{"catalog alias renamed", Target{Vendor: "Philips", Model: "Central station 4W", Firmware: "B.02", Aliases: []string{"IntelliVue Information Center iX"}}, "ICSMA-21-322-02", "certain"},
		// No brand-level flag through the other name: a PIC iX is not an
		// IntelliVue monitor (ICSMA-18-156-01 names IntelliVue MP monitors).
		{"no brand flag via rename", Target{Vendor: "Philips", Model: "Patient Information Center iX", Firmware: "C.02"}, "ICSMA-18-156-01", "none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs := m.Match(c.target)
			if got := hitLevel(hs, c.doc); got != c.want {
				t.Fatalf("%s: %s, want %s", c.doc, got, c.want)
			}
			for _, h := range hs {
				if h.Document != c.doc {
					continue
				}
				if renamed := strings.Contains(h.Reason, "product renamed"); renamed != (c.want == "certain") {
					t.Errorf("reason names the rename: %v, want %v: %s", renamed, c.want == "certain", h.Reason)
				}
			}
		})
	}
}
