package ip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// Exclusions are what a sweep must never touch: addresses, segments, MACs
// and MAC prefixes (an OUI or a longer MA-M/MA-S prefix). Device classes
// are resolved by the caller into the addresses and MACs the inventory
// records for them. The zero value excludes nothing.
type Exclusions struct {
	prefixes []rule[netip.Prefix]
	macs     []rule[string] // hex digits, no separators; 12 for a MAC, fewer for a prefix
}

type rule[T any] struct {
	v      T
	reason string
}

// Add adds one exclusion: an IP ("10.1.2.3"), a CIDR ("10.1.2.0/28"), a
// MAC ("00:09:fb:12:34:56", any usual separators) or a MAC prefix of 6 to
// 11 hex digits ("00:09:FB", "70-B3-D5-F2-F"). reason is kept for the
// log ("config", "class ventilator: BME-0042").
func (e *Exclusions) Add(entry, reason string) error {
	s := strings.TrimSpace(entry)
	if p, err := netip.ParsePrefix(s); err == nil {
		e.prefixes = append(e.prefixes, rule[netip.Prefix]{p.Masked(), reason})
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		e.prefixes = append(e.prefixes, rule[netip.Prefix]{netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), reason})
		return nil
	}
	var hex strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hex.WriteRune(c)
		case c == ':' || c == '-' || c == '.':
		default:
			return fmt.Errorf("ip: exclusion %q is not an IP, CIDR, MAC or OUI prefix", entry)
		}
	}
	if n := hex.Len(); n < 6 || n > 12 {
		return fmt.Errorf("ip: exclusion %q: a MAC prefix has 6 to 12 hex digits, this has %d", entry, n)
	}
	e.macs = append(e.macs, rule[string]{hex.String(), reason})
	return nil
}

// AddAll adds every entry with the same reason, failing on the first bad
// one.
func (e *Exclusions) AddAll(entries []string, reason string) error {
	for _, s := range entries {
		if err := e.Add(s, reason); err != nil {
			return err
		}
	}
	return nil
}

// HasMAC reports whether any MAC or MAC-prefix exclusion is set, which
// obliges the sweep to learn a host's MAC before probing it.
func (e *Exclusions) HasMAC() bool { return len(e.macs) > 0 }

// Addr reports whether a is excluded, and why.
func (e *Exclusions) Addr(a netip.Addr) (string, bool) {
	a = a.Unmap()
	for _, r := range e.prefixes {
		if r.v.Contains(a) {
			return r.reason, true
		}
	}
	return "", false
}

// Prefix reports whether any address of p is excluded; a sweep that finds
// none needs no per-address check.
func (e *Exclusions) Prefix(p netip.Prefix) bool {
	for _, r := range e.prefixes {
		if r.v.Overlaps(p) {
			return true
		}
	}
	return false
}

// MAC reports whether mac (any form scan.NormalizeMAC accepts) is
// excluded, and why.
func (e *Exclusions) MAC(mac string) (string, bool) {
	m := strings.ReplaceAll(scan.NormalizeMAC(mac), ":", "")
	if m == "" {
		return "", false
	}
	for _, r := range e.macs {
		if strings.HasPrefix(m, r.v) {
			return r.reason, true
		}
	}
	return "", false
}
