package oui

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strconv"
	"strings"
	"sync"

	"github.com/biomed-rounds/rounds/scan"
)

//go:generate go run ./internal/ouigen -dir /usr/share/ieee-data -o registry.gz

//go:embed registry.gz
var registry []byte

// table holds the assignments by prefix length in bits (24, 28, 36),
// keyed by the prefix value.
type table struct {
	byBits map[int]map[uint64]string
	n      int
}

var (
	loadOnce sync.Once
	loaded   table
)

func load() {
	t := table{byBits: map[int]map[uint64]string{24: {}, 28: {}, 36: {}}}
	zr, err := gzip.NewReader(bytes.NewReader(registry))
	if err != nil {
		loaded = t // an unreadable table names no vendor; tests catch it
		return
	}
	names := map[string]string{} // interning: many organisations hold many blocks
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		hex, name, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(hex, 16, 64)
		bits := len(hex) * 4
		m := t.byBits[bits]
		if err != nil || m == nil {
			continue
		}
		if n, ok := names[name]; ok {
			name = n
		} else {
			names[name] = name
		}
		m[v] = name
		t.n++
	}
	loaded = t
}

// Len returns the number of assignments in the embedded registry.
func Len() int {
	loadOnce.Do(load)
	return loaded.n
}

// Lookup returns the organisation assigned the longest registered prefix
// of mac (any form scan.NormalizeMAC accepts), or "" when the MAC is
// malformed, locally administered or unassigned.
func Lookup(mac string) string {
	m := scan.NormalizeMAC(mac)
	if m == "" {
		return ""
	}
	v, err := strconv.ParseUint(strings.ReplaceAll(m, ":", ""), 16, 64)
	if err != nil {
		return ""
	}
	if v&(0x02<<40) != 0 {
		// Locally administered (randomised or virtual): the first octet's
		// second bit says no OUI applies.
		return ""
	}
	loadOnce.Do(load)
	for _, bits := range []int{36, 28, 24} {
		if name, ok := loaded.byBits[bits][v>>(48-bits)]; ok {
			return name
		}
	}
	return ""
}
