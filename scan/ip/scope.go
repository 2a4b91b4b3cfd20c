package ip

import (
	"errors"
	"fmt"
	"net/netip"
)

// MaxHosts is the largest segment swept without --force-scope: a /20
// (4096 addresses), the biggest a clinical VLAN usually is.
const MaxHosts = 4096

// Scope errors.
var (
	// ErrPublic reports a segment outside the private and special-purpose
	// ranges: sweeping it would probe someone else's network.
	ErrPublic = errors.New("ip: segment is a public address range")
	// ErrTooLarge reports a segment larger than MaxHosts addresses.
	ErrTooLarge = errors.New("ip: segment is larger than a /20")
	// ErrNeverSwept reports a segment that is never swept, forced or not
	// (multicast, unspecified, broadcast, reserved).
	ErrNeverSwept = errors.New("ip: segment is never swept")
)

// nonPublic are the ranges that route nowhere outside the site: RFC 1918
// private space, loopback, link-local, carrier-grade NAT shared space,
// the documentation and benchmarking ranges, and IPv6 ULA and link-local.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// never are ranges that hold no unicast hosts.
var never = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("ff00::/8"),
}

// CheckScope reports whether p may be swept: it must lie within the
// non-public ranges and hold at most MaxHosts addresses, unless force is
// set; multicast, reserved and unspecified ranges are refused always.
func CheckScope(p netip.Prefix, force bool) error {
	if !p.IsValid() {
		return fmt.Errorf("ip: invalid segment %v", p)
	}
	p = p.Masked()
	for _, n := range never {
		if n.Overlaps(p) {
			return fmt.Errorf("%w: %v overlaps %v", ErrNeverSwept, p, n)
		}
	}
	if force {
		return nil
	}
	inside := false
	for _, n := range nonPublic {
		if n.Bits() <= p.Bits() && n.Contains(p.Addr()) {
			inside = true
			break
		}
	}
	if !inside {
		return fmt.Errorf("%w: %v (use --force-scope if this really is a hospital network)", ErrPublic, p)
	}
	if hostBits := p.Addr().BitLen() - p.Bits(); hostBits > 12 {
		return fmt.Errorf("%w: %v holds 2^%d addresses (use --force-scope to sweep it anyway)", ErrTooLarge, p, hostBits)
	}
	return nil
}

// hosts calls fn for each host address of p in order, skipping the
// network and broadcast addresses of IPv4 segments of 4 or more
// addresses. It stops early when fn returns false.
func hosts(p netip.Prefix, fn func(netip.Addr) bool) {
	p = p.Masked()
	first := p.Addr()
	hostBits := first.BitLen() - p.Bits()
	skipEnds := first.Is4() && hostBits >= 2
	a := first
	if skipEnds {
		a = a.Next()
	}
	for ; a.IsValid() && p.Contains(a); a = a.Next() {
		if skipEnds && !p.Contains(a.Next()) {
			return // broadcast
		}
		if !fn(a) {
			return
		}
	}
}
