package sync

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/inventory"
)

// Pulled values pass the checks import applies before anything is stored:
// a CMDB can hold anything, and these values reach the terminal, exported
// files and error messages. Identifiers and single-line fields with a
// control character, an escape sequence or invalid UTF-8 are refused (the
// stored value stays, an issue says why); free text (notes) is
// neutralised line by line; every value is bounded.

// limit is the length limit of a pulled value, in characters: the shared
// field table's (inventory.Fields) for device fields, the inventory's
// constants for the record's keys and the notes log.
func limit(field string) int {
	switch field {
	case "asset_tag":
		return inventory.MaxAssetTag
	case "remote_id", "version":
		return inventory.MaxName
	case FieldNotes:
		return inventory.MaxNote
	}
	if f, ok := inventory.FieldByName(field); ok && f.MaxLen > 0 {
		return f.MaxLen
	}
	return inventory.MaxName
}

// checkValue returns why a single-line value cannot be stored, or "".
func checkValue(field, v string) string {
	if err := inventory.CheckLen(field, v, limit(field)); err != nil {
		return fmt.Sprintf("over the %d characters this field holds (%s)", limit(field), inventory.FormatSize(int64(len(v))))
	}
	if !utf8.ValidString(v) {
		return "invalid UTF-8"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Sprintf("control character %U", r)
		}
		if r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return fmt.Sprintf("bidirectional override %U", r)
		}
	}
	return ""
}

// neutralise makes free text inert line by line, keeping line breaks,
// and bounds it. It reports whether anything was replaced.
func neutralise(v string) (string, bool) {
	lines := strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n")
	changed := false
	for i, l := range lines {
		if c := inert.String(strings.ReplaceAll(l, "\t", " ")); c != l {
			lines[i], changed = c, true
		}
	}
	out := strings.Join(lines, "\n")
	if err := inventory.CheckLen(FieldNotes, out, inventory.MaxNote); err != nil {
		// Keep the newest part of the log: it is appended to.
		r := []rune(out)
		out = string(r[len(r)-inventory.MaxNote:])
		changed = true
	}
	return out, changed || strings.Contains(v, "\r\n")
}

// cleanRecord validates a pulled record. The returned record holds only
// the values that may be stored; problems lists, per field, why the
// others were refused or changed. A record whose asset tag or id fails
// cannot be keyed and comes back with ok false.
func cleanRecord(r Record) (Record, map[string]string, bool) {
	problems := map[string]string{}
	for f, v := range map[string]string{"asset_tag": r.AssetTag, "remote_id": r.RemoteID, "version": r.Version} {
		if why := checkValue(f, v); why != "" {
			problems[f] = why
		}
	}
	if len(problems) > 0 {
		return r, problems, false
	}
	out := r
	out.Fields = make(map[string]string, len(r.Fields))
	for f, v := range r.Fields {
		if f == FieldNotes {
			n, changed := neutralise(v)
			if changed {
				problems[f] = "control characters or escape sequences neutralised"
			}
			out.Fields[f] = n
			continue
		}
		if why := checkValue(f, v); why != "" {
			problems[f] = why + "; value not stored"
			continue
		}
		out.Fields[f] = v
	}
	return out, problems, true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func problemText(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+": "+m[k])
	}
	return strings.Join(parts, "; ")
}
