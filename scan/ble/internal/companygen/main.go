// Command companygen turns a copy of the Bluetooth SIG company identifier
// list into company_table.go, the compact table scan/ble embeds.
//
// The SIG publishes the list as assigned_numbers/company_identifiers/
// company_identifiers.yaml; this machine reaches no website, so the
// generator reads any of the copies that travel in packages:
//
//   - BlueZ's lib/bluetooth.c (bt_compidtostr), alone or inside Debian's
//     bluez-source tarball /usr/src/bluez.tar.bz2 (apt-get install
//     bluez-source) — the default;
//   - bleak's bleak/backends/_manufacturers.py (Debian python3-bleak);
//   - Nordic's bluetooth-numbers-database v1/company_ids.json;
//   - the SIG's company_identifiers.yaml itself.
//
// The format is recognised from the content. Usage:
//
//	go run ./internal/companygen -src FILE -label TEXT -o company_table.go
package main

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	src := flag.String("src", "/usr/src/bluez.tar.bz2", "source `file` (bluetooth.c, bluez tarball, _manufacturers.py, company_ids.json or company_identifiers.yaml)")
	label := flag.String("label", "", "human description of the source and its date, written into the table")
	out := flag.String("o", "company_table.go", "output `file`")
	flag.Parse()
	if err := run(*src, *label, *out); err != nil {
		fmt.Fprintln(os.Stderr, "companygen:", err)
		os.Exit(1)
	}
}

func run(src, label, out string) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	text := raw
	if strings.HasSuffix(src, ".tar.bz2") {
		if text, err = fromTarball(raw, "lib/bluetooth.c"); err != nil {
			return err
		}
	}
	m, format, err := parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if len(m) < 100 {
		return fmt.Errorf("%s: only %d companies found; wrong file?", src, len(m))
	}
	sum := sha256.Sum256(raw)
	code, err := render(m, fmt.Sprintf("%s, %s format, sha256 %x", label, format, sum[:8]))
	if err != nil {
		return err
	}
	return os.WriteFile(out, code, 0o644)
}

func fromTarball(b []byte, suffix string) ([]byte, error) {
	tr := tar.NewReader(bzip2.NewReader(bytes.NewReader(b)))
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s not found in tarball: %w", suffix, err)
		}
		if strings.HasSuffix(h.Name, "/"+suffix) {
			return io.ReadAll(io.LimitReader(tr, 8<<20))
		}
	}
}

var (
	reC    = regexp.MustCompile(`(?m)case\s+(\d+):\s*\n\s*return\s+("(?:[^"\\]|\\.)*");`)
	rePy   = regexp.MustCompile(`(?m)^\s*(0x[0-9A-Fa-f]{1,4}):\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'),?\s*$`)
	reYAML = regexp.MustCompile(`(?m)^\s*-\s*value:\s*(0x[0-9A-Fa-f]{1,4})\s*\n\s*name:\s*(.+?)\s*$`)
)

func parse(b []byte) (map[uint16]string, string, error) {
	m := map[uint16]string{}
	add := func(idText, name string) error {
		id, err := strconv.ParseUint(idText, 0, 16)
		if err != nil {
			return fmt.Errorf("bad identifier %q: %w", idText, err)
		}
		if name = clean(name); name != "" {
			m[uint16(id)] = name
		}
		return nil
	}
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		var list []struct {
			Code *int   `json:"code"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, "", fmt.Errorf("json: %w", err)
		}
		for _, e := range list {
			if e.Code == nil || *e.Code < 0 || *e.Code > 0xffff {
				return nil, "", fmt.Errorf("json: entry %q has no valid code", e.Name)
			}
			if err := add(strconv.Itoa(*e.Code), e.Name); err != nil {
				return nil, "", err
			}
		}
		return m, "JSON", nil
	case bytes.Contains(b, []byte("bt_compidtostr(int compid)")):
		// Only the body of bt_compidtostr: other switches in the file
		// return strings too.
		body := b[bytes.Index(b, []byte("bt_compidtostr(int compid)")):]
		if end := bytes.Index(body, []byte("\n}\n")); end > 0 {
			body = body[:end]
		}
		for _, s := range reC.FindAllSubmatch(body, -1) {
			name, err := strconv.Unquote(string(s[2]))
			if err != nil {
				return nil, "", fmt.Errorf("C string %s: %w", s[2], err)
			}
			if err := add(string(s[1]), name); err != nil {
				return nil, "", err
			}
		}
		return m, "BlueZ C", nil
	case bytes.Contains(b, []byte("company_identifiers:")):
		for _, s := range reYAML.FindAllSubmatch(b, -1) {
			if err := add(string(s[1]), yamlString(string(s[2]))); err != nil {
				return nil, "", err
			}
		}
		return m, "SIG YAML", nil
	case bytes.Contains(b, []byte("MANUFACTURERS")):
		for _, s := range rePy.FindAllSubmatch(b, -1) {
			if err := add(string(s[1]), pyString(string(s[2]))); err != nil {
				return nil, "", err
			}
		}
		return m, "Python", nil
	}
	return nil, "", errors.New("unrecognised format")
}

func yamlString(s string) string {
	switch {
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	case len(s) >= 2 && s[0] == '"':
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}

func pyString(s string) string {
	if s[0] == '\'' {
		s = `"` + strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `\'`, `'`), `"`, `\"`) + `"`
	}
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s[1 : len(s)-1]
}

// clean drops control characters and folds runs of spaces, so that the
// table holds printable names only.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// denseLimit bounds the array part of the table; rare identifiers above
// it (0xFFFF, the test identifier) go to a map.
const denseLimit = 0x4000

func render(m map[uint16]string, source string) ([]byte, error) {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, int(id))
	}
	slices.Sort(ids)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/companygen; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package ble\n\n")
	fmt.Fprintf(&b, "// CompanySource names the copy of the Bluetooth SIG company identifier\n// list this table was generated from.\n")
	fmt.Fprintf(&b, "const CompanySource = %q\n\n", source)
	fmt.Fprintf(&b, "// companyCount is the number of identifiers in the table.\nconst companyCount = %d\n\n", len(ids))
	fmt.Fprintf(&b, "// companies is indexed by company identifier; \"\" means unassigned.\nvar companies = [...]string{\n")
	for _, id := range ids {
		if id < denseLimit {
			fmt.Fprintf(&b, "\t0x%04X: %q,\n", id, m[uint16(id)])
		}
	}
	fmt.Fprintf(&b, "}\n\n// companiesHigh holds the identifiers beyond the dense array.\nvar companiesHigh = map[uint16]string{\n")
	for _, id := range ids {
		if id >= denseLimit {
			fmt.Fprintf(&b, "\t0x%04X: %q,\n", id, m[uint16(id)])
		}
	}
	fmt.Fprintf(&b, "}\n")
	return format.Source(b.Bytes())
}
