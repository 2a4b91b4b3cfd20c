package inventory

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// NormalizeMAC returns a 48-bit MAC (or BLE device address) as lower-case
// hex pairs joined by colons, or "" when mac is not 12 hex digits. It
// accepts the separators device labels and CMDBs use: ':', '-', '.' (Cisco
// "0009.fb12.3456") and ' '. It is the one MAC normaliser of rounds: the
// scanners, the store and sync all call it.
func NormalizeMAC(mac string) string {
	var hex [12]byte
	n := 0
	for i := 0; i < len(mac); i++ {
		c := mac[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		case c == ':' || c == '-' || c == '.' || c == ' ':
			continue
		default:
			return ""
		}
		if n == len(hex) {
			return ""
		}
		hex[n] = c
		n++
	}
	if n != len(hex) {
		return ""
	}
	out := make([]byte, 0, 17)
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[i], hex[i+1])
	}
	return string(out)
}

// NormalizeIdent returns the stored form of an identifier value: MACs lower
// case with colons, BLE addresses upper case with colons, IPs canonical,
// hostnames lower case without a trailing dot, everything trimmed. A MAC
// or BLE address that does not parse is kept (case-folded) rather than
// lost: the record still shows what the source said.
func NormalizeIdent(kind IdentKind, v string) string {
	v = strings.TrimSpace(v)
	switch kind {
	case IdentMAC:
		if n := NormalizeMAC(v); n != "" {
			return n
		}
		return strings.ToLower(v)
	case IdentBLEAddress:
		if n := NormalizeMAC(v); n != "" {
			return strings.ToUpper(n)
		}
		return strings.ToUpper(v)
	case IdentHostname:
		return strings.ToLower(strings.TrimSuffix(v, "."))
	case IdentIP:
		if a, err := netip.ParseAddr(v); err == nil {
			return a.String()
		}
	}
	return v
}

// ErrLocationKey reports a room key that is not BUILDING/FLOOR/ROOM.
var ErrLocationKey = errors.New("inventory: room key is not BUILDING/FLOOR/ROOM")

// LocationKey builds the stable key of a room.
func LocationKey(building, floor, room string) string {
	return building + "/" + floor + "/" + room
}

// ParseLocationKey splits a room key into building, floor and room, each
// trimmed of surrounding spaces and none empty ("a//b" and "a/b" are
// refused). The room part may itself hold slashes ("MAIN/3/3W-12/A"):
// the first two separate building and floor. Use the canonical
// LocationKey of the parts as the stored key, so that "MAIN / 3 / 12"
// and "MAIN/3/12" are the same room. It is the one parser of room keys.
func ParseLocationKey(key string) (building, floor, room string, err error) {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: %q", ErrLocationKey, key)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			return "", "", "", fmt.Errorf("%w: %q", ErrLocationKey, key)
		}
	}
	return parts[0], parts[1], parts[2], nil
}

// CanonicalLocationKey returns the stored form of a room key (parts
// trimmed), or an error wrapping ErrLocationKey.
func CanonicalLocationKey(key string) (string, error) {
	b, f, r, err := ParseLocationKey(key)
	if err != nil {
		return "", err
	}
	return LocationKey(b, f, r), nil
}
