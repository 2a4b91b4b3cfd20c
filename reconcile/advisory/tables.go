package advisory

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// aliasesTSV is the reviewed vendor alias table: company, name, reason.
//
//go:embed aliases.tsv
var aliasesTSV string

// renamesTSV is the reviewed product rename table: vendor, name, other
// name, reason.
//
//go:embed renames.tsv
var renamesTSV string

// tables are the reviewed data the matcher reads: vendor aliases and
// product renames.
type tables struct {
	aliasGroups []aliasGroup
	aliasIndex  map[string]*aliasGroup
	renames     []rename
}

// rename says that one vendor's product has two names.
type rename struct {
	vendor string
	names  [2]string
	key    [2]string // the names' tokens, joined, for comparing
	reason string
	line   int
}

// ErrTable is returned when an embedded reviewed table is malformed.
var ErrTable = fmt.Errorf("advisory: reviewed table malformed")

var loadTablesOnce = sync.OnceValues(func() (*tables, error) {
	return parseTables(aliasesTSV, renamesTSV)
})

// CheckTables reports whether the embedded reviewed tables (vendor
// aliases, product renames) load; cmd/rounds and FromRows call it so that
// a malformed table is an error at load, naming file and line, not a
// panic at start-up. While a table is malformed the matcher works without
// aliases and renames.
func CheckTables() error {
	_, err := loadTablesOnce()
	return err
}

// loadedTables returns the reviewed tables, or empty ones if malformed.
func loadedTables() *tables {
	t, err := loadTablesOnce()
	if err != nil {
		return &tables{aliasIndex: map[string]*aliasGroup{}}
	}
	return t
}

func parseTables(aliases, renames string) (*tables, error) {
	g, err := parseAliasGroups(aliases)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTable, err)
	}
	t := &tables{aliasGroups: g, aliasIndex: map[string]*aliasGroup{}}
	for i := range t.aliasGroups {
		for name := range t.aliasGroups[i].members {
			t.aliasIndex[name] = &t.aliasGroups[i]
		}
	}
	if t.renames, err = parseRenames(renames); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTable, err)
	}
	return t, nil
}

// parseAliasGroups reads the alias table. Every row needs a company, a
// name already in NormalizeVendor's form, and a reason; a name may belong
// to one company only.
func parseAliasGroups(text string) ([]aliasGroup, error) {
	var groups []aliasGroup
	idx := map[string]int{}
	seen := map[string]string{}
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.TrimSpace(f[0]) == "" || strings.TrimSpace(f[1]) == "" || strings.TrimSpace(f[2]) == "" {
			return nil, fmt.Errorf("aliases.tsv:%d: want company, name and reason separated by tabs", n+1)
		}
		company, name, reason := strings.TrimSpace(f[0]), strings.TrimSpace(f[1]), strings.TrimSpace(f[2])
		if NormalizeVendor(name) != name {
			return nil, fmt.Errorf("aliases.tsv:%d: name %q is not normalised (want %q)", n+1, name, NormalizeVendor(name))
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("aliases.tsv:%d: name %q already belongs to %s", n+1, name, prev)
		}
		seen[name] = company
		gi, ok := idx[company]
		if !ok {
			gi = len(groups)
			idx[company] = gi
			groups = append(groups, aliasGroup{canonical: company, members: map[string]string{}})
		}
		groups[gi].members[name] = reason
	}
	return groups, nil
}

// parseRenames reads the rename table: vendor, name, other name and a
// reason on every row; the two names must differ.
func parseRenames(text string) ([]rename, error) {
	var out []rename
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("renames.tsv:%d: want vendor, name, other name and reason separated by tabs", n+1)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
			if f[i] == "" {
				return nil, fmt.Errorf("renames.tsv:%d: column %d is empty", n+1, i+1)
			}
		}
		r := rename{vendor: f[0], names: [2]string{f[1], f[2]}, reason: f[3], line: n + 1}
		r.key = [2]string{renameKey(f[1]), renameKey(f[2])}
		if r.key[0] == "" || r.key[1] == "" || r.key[0] == r.key[1] {
			return nil, fmt.Errorf("renames.tsv:%d: the two names must be different product names", n+1)
		}
		out = append(out, r)
	}
	return out, nil
}

// renameKey is how a device's model is compared with a rename's names:
// folded words, so that case and punctuation do not matter.
func renameKey(s string) string { return strings.Join(words(s), " ") }

// renamedAs returns the other names of a vendor's model, with why.
func renamedAs(vendor, model string) (names, reasons []string) {
	k := renameKey(model)
	for _, r := range loadedTables().renames {
		for i := range r.key {
			if r.key[i] != k {
				continue
			}
			if ok, _ := MatchVendor(vendor, r.vendor); !ok {
				continue
			}
			names = append(names, r.names[1-i])
			reasons = append(reasons, "product renamed: "+quote(r.names[i])+" and "+quote(r.names[1-i])+" are one product ("+r.reason+")")
		}
	}
	return names, reasons
}
