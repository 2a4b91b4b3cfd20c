package ip

import (
	"net/netip"
	"testing"
)

func TestParseARP(t *testing.T) {
	const table = `IP address       HW type     Flags       HW address            Mask     Device
198.51.100.2     0x1         0x2         02:AA:bb:cc:dd:01     *        veth0
198.51.100.3     0x1         0x0         00:00:00:00:00:00     *        veth0
198.51.100.4     0x1         0x6         00:09:fb:00:00:01     *        veth0
junk line
`
	got := parseARP(table)
	want := map[string]string{"198.51.100.2": "02:aa:bb:cc:dd:01", "198.51.100.4": "00:09:fb:00:00:01"}
	if len(got) != len(want) {
		t.Fatalf("parseARP = %v, want %v", got, want)
	}
	for a, m := range want {
		if got[netip.MustParseAddr(a)] != m {
			t.Errorf("%s: %q, want %q", a, got[netip.MustParseAddr(a)], m)
		}
	}
}
