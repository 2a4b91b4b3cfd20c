package ip

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// Profile bounds how hard a sweep presses on the network and on each
// device.
type Profile struct {
	Name string
	// PerHost is the most connections open at once to one host.
	PerHost int
	// Gap is the least time between the end of one probe of a host and
	// the start of the next.
	Gap time.Duration
	// Rate caps new probes (connects, echoes, datagrams) per second over
	// the whole sweep; Burst is how many may go at once.
	Rate  rate.Limit
	Burst int
	// Hosts is how many hosts are probed at once.
	Hosts int
	// ConnectTimeout bounds a TCP connect or an ICMP echo.
	ConnectTimeout time.Duration
	// ProbeTimeout bounds one fingerprint exchange, connect excluded.
	ProbeTimeout time.Duration
	// DownAfter: a host that answered no echo and whose first DownAfter
	// ports all timed out is taken as absent and not probed further
	// (0: probe every port of every host, like nmap -Pn).
	DownAfter int
}

// The profiles.
var (
	// Safe is the default: one connection per host at a time, 100 ms
	// apart, at most 300 probes a second over the sweep. A device sees
	// at most 10 connections a second, one at a time, which the
	// embedded stacks of medical devices handle.
	Safe = Profile{Name: "safe", PerHost: 1, Gap: 100 * time.Millisecond, Rate: 300, Burst: 10,
		Hosts: 48, ConnectTimeout: 1500 * time.Millisecond, ProbeTimeout: 3 * time.Second, DownAfter: 3}
	// Fast is for large sweeps of robust segments: a few connections
	// per host at once, no spacing, a high global cap.
	Fast = Profile{Name: "fast", PerHost: 4, Gap: 0, Rate: 50000, Burst: 1000,
		Hosts: 256, ConnectTimeout: time.Second, ProbeTimeout: 2 * time.Second, DownAfter: 3}
)

// ProfileNamed returns the profile with the given name ("" is Safe).
func ProfileNamed(name string) (Profile, error) {
	switch name {
	case "", "safe":
		return Safe, nil
	case "fast":
		return Fast, nil
	}
	return Profile{}, fmt.Errorf("ip: unknown profile %q (want safe or fast)", name)
}

func (p Profile) validate() error {
	if p.PerHost < 1 || p.Hosts < 1 || p.Rate <= 0 || p.Burst < 1 || p.ConnectTimeout <= 0 || p.ProbeTimeout <= 0 || p.Gap < 0 || p.DownAfter < 0 {
		return fmt.Errorf("ip: profile %q: limits must be positive", p.Name)
	}
	return nil
}
