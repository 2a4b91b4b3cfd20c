// Command ouigen turns the IEEE registry CSV files shipped by Debian's
// ieee-data package into the compact table that package oui embeds.
//
// Usage:
//
//	go run ./internal/ouigen -dir /usr/share/ieee-data -o registry.gz
//
// The output is gzip-compressed text, one assignment per line, sorted:
// the assigned prefix in upper-case hex (6 digits for MA-L, 7 for MA-M,
// 9 for MA-S and IAB), a tab, the organisation name. Names are cleaned of
// control characters and runs of spaces so that the table is inert.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// registries are the files read, with the hex length of their assignments.
var registries = []struct {
	file, registry string
	digits         int
}{
	{"oui.csv", "MA-L", 6},
	{"mam.csv", "MA-M", 7},
	{"oui36.csv", "MA-S", 9},
	{"iab.csv", "IAB", 9},
}

func main() {
	dir := flag.String("dir", "/usr/share/ieee-data", "directory holding the ieee-data CSV files")
	out := flag.String("o", "registry.gz", "output file")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ouigen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	entries := map[string]string{}
	for _, r := range registries {
		if err := read(filepath.Join(dir, r.file), r.registry, r.digits, entries); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		return errors.New("no assignments read")
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	// A fixed header keeps the output byte-for-byte reproducible.
	zw.Name = ""
	w := bufio.NewWriter(zw)
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\n", k, entries[k])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "ouigen: %d assignments written to %s\n", len(keys), out)
	return nil
}

func read(path, registry string, digits int, into map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	line := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line++
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if line == 1 || len(rec) < 3 || rec[0] != registry {
			continue // header or another registry's row
		}
		hex := strings.ToUpper(strings.TrimSpace(rec[1]))
		if len(hex) != digits || strings.Trim(hex, "0123456789ABCDEF") != "" {
			return fmt.Errorf("%s:%d: bad assignment %q", path, line, rec[1])
		}
		if name := clean(rec[2]); name != "" {
			into[hex] = name
		}
	}
}

// clean drops control characters and collapses whitespace.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
