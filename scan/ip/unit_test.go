package ip

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/biomed-rounds/rounds/scan"
)

func TestCheckScope(t *testing.T) {
	tests := []struct {
		cidr  string
		force bool
		want  error
	}{
		{"10.20.30.0/24", false, nil},
		{"172.16.5.0/24", false, nil},
		{"192.168.1.0/24", false, nil},
		{"127.77.0.0/24", false, nil},
		{"198.51.100.0/24", false, nil},
		{"169.254.10.0/24", false, nil},
		{"fd00:1::/120", false, nil},
		{"10.0.0.0/20", false, nil},
		{"10.0.0.0/19", false, ErrTooLarge},
		{"10.0.0.0/8", false, ErrTooLarge},
		{"10.0.0.0/8", true, nil},
		{"8.8.8.0/24", false, ErrPublic},
		{"8.8.8.8/32", false, ErrPublic},
		{"8.8.8.0/24", true, nil},
		{"172.32.0.0/24", false, ErrPublic},
		{"0.0.0.0/0", true, ErrNeverSwept},
		{"224.0.0.0/24", true, ErrNeverSwept},
		{"255.255.255.255/32", true, ErrNeverSwept},
		{"fd00::/64", false, ErrTooLarge},
		{"2001:db8::/120", false, ErrPublic},
	}
	for _, tt := range tests {
		err := CheckScope(netip.MustParsePrefix(tt.cidr), tt.force)
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckScope(%s, force=%v) = %v, want %v", tt.cidr, tt.force, err, tt.want)
		}
	}
}

func TestHosts(t *testing.T) {
	tests := []struct {
		cidr        string
		n           int
		first, last string
	}{
		{"127.77.0.0/24", 254, "127.77.0.1", "127.77.0.254"},
		{"127.77.0.9/24", 254, "127.77.0.1", "127.77.0.254"},
		{"10.0.0.0/30", 2, "10.0.0.1", "10.0.0.2"},
		{"10.0.0.0/31", 2, "10.0.0.0", "10.0.0.1"},
		{"10.0.0.7/32", 1, "10.0.0.7", "10.0.0.7"},
		{"fd00::/126", 4, "fd00::", "fd00::3"},
	}
	for _, tt := range tests {
		var got []netip.Addr
		hosts(netip.MustParsePrefix(tt.cidr), func(a netip.Addr) bool { got = append(got, a); return true })
		if len(got) != tt.n || got[0].String() != tt.first || got[len(got)-1].String() != tt.last {
			t.Errorf("hosts(%s) = %d from %v to %v, want %d from %s to %s", tt.cidr, len(got), got[0], got[len(got)-1], tt.n, tt.first, tt.last)
		}
	}
}

func TestExclusions(t *testing.T) {
	var e Exclusions
	for _, s := range []string{"10.1.2.3", "10.9.0.0/28", "00:09:FB:12:34:56", "00-1B-C5-07-4", "0009.fbab", "fd00::7"} {
		if err := e.Add(s, "test "+s); err != nil {
			t.Fatalf("Add(%q): %v", s, err)
		}
	}
	for _, bad := range []string{"", "host.example", "00:09", "10.1.2.3/33", "00:11:22:33:44:55:66"} {
		if err := e.Add(bad, ""); err == nil {
			t.Errorf("Add(%q) accepted", bad)
		}
	}
	addrs := []struct {
		a    string
		want bool
	}{
		{"10.1.2.3", true}, {"10.1.2.4", false}, {"10.9.0.15", true}, {"10.9.0.16", false},
		{"fd00::7", true}, {"::ffff:10.1.2.3", true},
	}
	for _, tt := range addrs {
		if _, got := e.Addr(netip.MustParseAddr(tt.a)); got != tt.want {
			t.Errorf("Addr(%s) = %v, want %v", tt.a, got, tt.want)
		}
	}
	macs := []struct {
		mac  string
		want bool
	}{
		{"00:09:fb:12:34:56", true},  // exact MAC
		{"00:09:fb:ab:00:01", true},  // 0009.fbab prefix
		{"00:09:fb:12:34:57", false}, // neighbour of the exact MAC
		{"00:1b:c5:07:4a:bc", true},  // MA-S style prefix
		{"00:1b:c5:07:5a:bc", false},
		{"garbage", false},
	}
	for _, tt := range macs {
		if _, got := e.MAC(tt.mac); got != tt.want {
			t.Errorf("MAC(%s) = %v, want %v", tt.mac, got, tt.want)
		}
	}
	if !e.HasMAC() || !e.Prefix(netip.MustParsePrefix("10.9.0.0/24")) || e.Prefix(netip.MustParsePrefix("10.8.0.0/24")) {
		t.Error("HasMAC or Prefix wrong")
	}
}

func TestNewRefuses(t *testing.T) {
	private := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}
	bad := Safe
	bad.Rate = 0
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no segment", Config{}},
		{"public", Config{Nets: []netip.Prefix{netip.MustParsePrefix("8.8.8.0/24")}}},
		{"too large", Config{Nets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}},
		{"printer port", Config{Nets: private, Ports: []int{80, 9100}}},
		{"printer port by offset", Config{Nets: private, Ports: []int{100}, PortOffset: 9000}},
		{"port out of range", Config{Nets: private, Ports: []int{0}}},
		{"duplicate port", Config{Nets: private, Ports: []int{80, 80}}},
		{"bad profile", Config{Nets: private, Profile: bad}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New accepted %+v", tt.name, tt.cfg)
		}
	}
	for _, p := range DefaultPorts {
		if printerPort(p) {
			t.Errorf("DefaultPorts holds printer port %d", p)
		}
	}
}

func TestProfileNamed(t *testing.T) {
	for name, want := range map[string]string{"": "safe", "safe": "safe", "fast": "fast"} {
		p, err := ProfileNamed(name)
		if err != nil || p.Name != want {
			t.Errorf("ProfileNamed(%q) = %v, %v", name, p.Name, err)
		}
	}
	if _, err := ProfileNamed("aggressive"); err == nil {
		t.Error("unknown profile accepted")
	}
	if Safe.PerHost != 1 || Safe.Gap <= 0 {
		t.Error("the safe profile must open one connection per host at a time, spaced")
	}
}

// TestProgress: every address of the sweep counts once, whether probed,
// excluded or skipped. The whole segment is excluded here, so nothing is
// sent anywhere.
func TestProgress(t *testing.T) {
	pfx := netip.MustParsePrefix("127.77.250.0/29")
	var ex Exclusions
	if err := ex.AddAll([]string{pfx.String()}, "test"); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Nets: []netip.Prefix{pfx}, Exclude: ex, NoICMP: true})
	if err != nil {
		t.Fatal(err)
	}
	if done, total := s.Progress(); done != 0 || total != s.Hosts() || total == 0 {
		t.Fatalf("before: %d of %d, want 0 of %d", done, total, s.Hosts())
	}
	out := make(chan scan.Observation, 8)
	for range 2 { // a second sweep starts again from zero
		if err := s.Sweep(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		if done, total := s.Progress(); done != total {
			t.Fatalf("after: %d of %d", done, total)
		}
	}
	if len(out) != 0 {
		t.Errorf("%d observations from an excluded segment", len(out))
	}
}
