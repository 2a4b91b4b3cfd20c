package ip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/probe"
)

// Config is what a sweep may do.
type Config struct {
	// Nets are the segments to sweep, each checked by CheckScope.
	Nets []netip.Prefix
	// ForceScope allows public ranges and segments larger than a /20.
	ForceScope bool
	// Profile bounds the sweep; the zero value means Safe.
	Profile Profile
	// Ports are the TCP ports probed, in order; nil means DefaultPorts.
	// Printer ports 9100-9107 are refused.
	Ports []int
	// Exclude lists what is never touched.
	Exclude Exclusions
	// SNMP enables the SNMP identity probe (probe.SNMPIdentity: at most
	// three requests) on every live host, SNMPv2c with SNMPCommunity
	// ("public" if empty).
	SNMP          bool
	SNMPCommunity string
	// SNMPSegments give SNMP credentials per segment (community or
	// SNMPv3); a host inside one is asked for its identity even when SNMP
	// is false. The first segment containing the host wins.
	SNMPSegments []SNMPSegment
	// NoICMP turns the ICMP echo off even where ping sockets are allowed.
	NoICMP bool
	// PacketLog, if set, receives a line for every probe sent.
	PacketLog io.Writer
	// PortOffset is added to every port at dial time. It exists for the
	// simulated ward run without root (ward.Config.PortOffset); in the
	// field it is zero.
	PortOffset int
	// CallingAE and CalledAE are the DICOM AE titles of the association
	// probe ("ROUNDS" and "ANY-SCP" if empty).
	CallingAE, CalledAE string
	// Logf receives warnings (skipped hosts, unavailable features); nil
	// discards them.
	Logf func(format string, args ...any)
}

// Sweeper sweeps the configured segments. It implements scan.Sweeper.
type Sweeper struct {
	cfg   Config
	ports []int
	total int
	// done counts the addresses of the current sweep already dealt with
	// (probed, excluded or skipped), for progress bars.
	done atomic.Int64
}

var _ scan.Sweeper = (*Sweeper)(nil)

// New checks cfg and returns its sweeper. It refuses segments out of scope
// (CheckScope), printer ports, and invalid profiles.
func New(cfg Config) (*Sweeper, error) {
	if len(cfg.Nets) == 0 {
		return nil, errors.New("ip: no segment to sweep")
	}
	for i, p := range cfg.Nets {
		if err := CheckScope(p, cfg.ForceScope); err != nil {
			return nil, err
		}
		cfg.Nets[i] = p.Masked()
	}
	if cfg.Profile == (Profile{}) {
		cfg.Profile = Safe
	}
	if err := cfg.Profile.validate(); err != nil {
		return nil, err
	}
	ports := cfg.Ports
	if ports == nil {
		ports = DefaultPorts
	}
	if err := checkPorts(ports, cfg.PortOffset); err != nil {
		return nil, err
	}
	if cfg.CallingAE == "" {
		cfg.CallingAE = "ROUNDS"
	}
	if cfg.CalledAE == "" {
		cfg.CalledAE = "ANY-SCP"
	}
	if cfg.SNMPCommunity == "" {
		cfg.SNMPCommunity = "public"
	}
	sw := &Sweeper{cfg: cfg, ports: slices.Clone(ports)}
	sw.total = sw.Hosts()
	return sw, nil
}

// Progress reports how many of the sweep's addresses have been dealt with
// (probed, excluded or skipped) and how many there are. It is safe to call
// while Sweep runs.
func (s *Sweeper) Progress() (done, total int) {
	return int(s.done.Load()), s.total
}

// Hosts returns the number of addresses the sweep will consider.
func (s *Sweeper) Hosts() int {
	n := 0
	for _, p := range s.cfg.Nets {
		hosts(p, func(netip.Addr) bool { n++; return true })
	}
	return n
}

// run is the state of one sweep.
type run struct {
	cfg      Config
	ports    []int
	lim      *rate.Limiter
	plog     *packetLog
	links    []link
	own      map[netip.Addr]bool
	ping     bool
	canARP   atomic.Bool
	warned   sync.Map
	seq      atomic.Uint32
	resolveM sync.Mutex
}

// link is a directly attached broadcast segment, where hosts have MACs.
type link struct {
	prefix netip.Prefix
	index  int
}

// Sweep probes every in-scope, non-excluded host and sends one observation
// per host found. It returns when done, or promptly once ctx is done (with
// ctx's error); it never closes out.
func (s *Sweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	p := s.cfg.Profile
	r := &run{
		cfg:   s.cfg,
		ports: s.ports,
		lim:   rate.NewLimiter(p.Rate, p.Burst),
		plog:  &packetLog{w: s.cfg.PacketLog},
		links: localLinks(),
		own:   ownAddrs(),
		ping:  !s.cfg.NoICMP && pingAvailable(),
	}
	r.canARP.Store(true)
	if !r.ping && !s.cfg.NoICMP {
		r.warn("icmp", "ICMP echo unavailable (net.ipv4.ping_group_range does not include this group); discovery uses TCP only")
	}
	s.done.Store(0)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.Hosts)
	for _, pfx := range s.cfg.Nets {
		hosts(pfx, func(a netip.Addr) bool {
			if gctx.Err() != nil {
				return false
			}
			if reason, ok := s.cfg.Exclude.Addr(a); ok {
				r.logf("skip %v: excluded (%s)", a, reason)
				s.done.Add(1)
				return true
			}
			if r.own[a] {
				r.logf("skip %v: this machine's own address", a)
				s.done.Add(1)
				return true
			}
			g.Go(func() error {
				defer s.done.Add(1)
				ob, ok, err := r.host(gctx, a)
				if err != nil || !ok {
					return err
				}
				select {
				case out <- ob:
					return nil
				case <-gctx.Done():
					return gctx.Err()
				}
			})
			return true
		})
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (r *run) logf(format string, args ...any) {
	if r.cfg.Logf != nil {
		r.cfg.Logf(format, args...)
	}
}

// warn logs a warning once per key.
func (r *run) warn(key, format string, args ...any) {
	if _, dup := r.warned.LoadOrStore(key, true); !dup {
		r.logf(format, args...)
	}
}

// localLinks lists the up, non-loopback interfaces with Ethernet-like
// addresses and their IPv4 segments. It only reads the interface table;
// the segments are never swept unless given.
func localLinks() []link {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []link
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 || len(i.HardwareAddr) != 6 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if p, err := netip.ParsePrefix(n.String()); err == nil && p.Addr().Is4() {
					out = append(out, link{p.Masked(), i.Index})
				}
			}
		}
	}
	return out
}

// ownAddrs returns this machine's own addresses: the technician's laptop
// is not a device of the room.
func ownAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out
}

func (r *run) linkFor(a netip.Addr) (int, bool) {
	for _, l := range r.links {
		if l.prefix.Contains(a) {
			return l.index, true
		}
	}
	return 0, false
}

// allowed is the last check before anything is sent: the target must be
// in scope and not excluded, and the port no printer port. The sweep
// never reaches here otherwise; this guards against a future mistake.
func (r *run) allowed(a netip.Addr, port int) error {
	if printerPort(port) {
		return fmt.Errorf("ip: refusing printer port %d on %v", port, a)
	}
	if _, ok := r.cfg.Exclude.Addr(a); ok {
		return fmt.Errorf("ip: refusing excluded %v", a)
	}
	for _, p := range r.cfg.Nets {
		if p.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("ip: refusing %v: outside the sweep's segments", a)
}

// send checks a probe and logs it; it is called right before every
// packet-producing operation.
func (r *run) send(a netip.Addr, port int, what string) error {
	if err := r.allowed(a, port); err != nil {
		return err
	}
	return r.plog.record(a, port, what)
}

// host is the per-host pacing: at most PerHost probes at once, Gap
// between the end of one and the start of the next, each under the
// global rate cap.
type host struct {
	addr    netip.Addr
	slots   chan struct{}
	mu      sync.Mutex
	lastEnd time.Time
}

func (r *run) acquire(ctx context.Context, h *host) error {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.mu.Lock()
	wait := time.Duration(0)
	if !h.lastEnd.IsZero() {
		wait = time.Until(h.lastEnd.Add(r.cfg.Profile.Gap))
	}
	h.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-h.slots
			return ctx.Err()
		}
	}
	if err := r.lim.Wait(ctx); err != nil {
		<-h.slots
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

func (r *run) release(h *host) {
	h.mu.Lock()
	h.lastEnd = time.Now()
	h.mu.Unlock()
	<-h.slots
}

// SNMPSegment is the SNMP credentials of one segment.
type SNMPSegment struct {
	Prefix netip.Prefix
	Auth   probe.SNMPAuth
}

// snmpAuth returns the credentials to ask a for its identity with.
func (r *run) snmpAuth(a netip.Addr) (probe.SNMPAuth, bool) {
	for _, s := range r.cfg.SNMPSegments {
		if s.Prefix.Contains(a) {
			return s.Auth, true
		}
	}
	return probe.SNMPAuth{Community: r.cfg.SNMPCommunity}, r.cfg.SNMP
}

// snmp asks the agent on UDP 161 for the host's identity.
func (r *run) snmp(ctx context.Context, h *host, auth probe.SNMPAuth) (*scan.Fingerprint, error) {
	if err := r.acquire(ctx, h); err != nil {
		return nil, err
	}
	defer r.release(h)
	if err := r.allowed(h.addr, 161); err != nil {
		return nil, err
	}
	return r.run(ctx, h, 161, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
		return probe.SNMPIdentity(pctx, h.addr, 161+r.cfg.PortOffset, auth, r.cfg.Profile.ConnectTimeout, sent)
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// normalMAC is scan.NormalizeMAC.
func normalMAC(s string) string { return scan.NormalizeMAC(s) }
