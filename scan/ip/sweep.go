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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/oui"
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

// result is what one TCP probe learnt.
type result int

const (
	open result = iota
	refused
	timedOut
	unreachable
	failed
)

type portResult struct {
	port int
	res  result
	fps  []scan.Fingerprint
}

// host probes one address. It reports whether the host was found; err is
// only for what must stop the whole sweep (cancellation, a failed packet
// log).
func (r *run) host(ctx context.Context, a netip.Addr) (scan.Observation, bool, error) {
	h := &host{addr: a, slots: make(chan struct{}, r.cfg.Profile.PerHost)}
	ob := scan.Observation{Source: scan.SourceIP, IP: a}
	ifindex, onLink := r.linkFor(a)

	// MAC exclusions must be decided before the host is sent anything.
	if onLink && r.cfg.Exclude.HasMAC() {
		mac, err := r.learnMAC(ctx, h, ifindex)
		if err != nil {
			return ob, false, err
		}
		if mac == "" {
			return ob, false, nil
		}
		if reason, ok := r.cfg.Exclude.MAC(mac); ok {
			r.logf("skip %v: MAC %s excluded (%s)", a, mac, reason)
			return ob, false, nil
		}
	}

	// The kernel itself answers echoes for all of 127.0.0.0/8, so an echo
	// there proves nothing.
	echoed := false
	if r.ping && a.Is4() && !a.IsLoopback() {
		ok, err := r.echo(ctx, h)
		if err != nil {
			return ob, false, err
		}
		echoed = ok
	}

	first := min(r.cfg.Profile.DownAfter, len(r.ports))
	if echoed {
		first = 0
	}
	results, err := r.probePorts(ctx, h, r.ports[:first])
	if err != nil {
		return ob, false, err
	}
	if first > 0 && allAre(results, timedOut) || anyIs(results, unreachable) {
		return ob, false, nil // absent, or silently dropping everything
	}
	rest, err := r.probePorts(ctx, h, r.ports[first:])
	if err != nil {
		return ob, false, err
	}
	results = append(results, rest...)

	anyRefused := false
	for _, pr := range results {
		switch pr.res {
		case open:
			ob.Ports = append(ob.Ports, pr.port)
			ob.Fingerprints = append(ob.Fingerprints, pr.fps...)
		case refused:
			anyRefused = true
		}
	}
	if auth, ok := r.snmpAuth(a); ok && (len(ob.Ports) > 0 || echoed || anyRefused) {
		fp, err := r.snmp(ctx, h, auth)
		if err != nil {
			return ob, false, err
		}
		if fp != nil {
			ob.Fingerprints = append(ob.Fingerprints, *fp)
		}
	}
	if onLink {
		if nb, err := readNeighbours(); err == nil {
			ob.MAC = nb[a]
		}
	}
	// SSDP only to hosts proven live: a refused connect proves one only
	// where the neighbour table confirms it (loopback and routers refuse
	// for absent addresses).
	if len(ob.Ports) > 0 || echoed || (anyRefused && ob.MAC != "") {
		fps, err := r.ssdp(ctx, h, hasUPnP(ob.Fingerprints))
		if err != nil {
			return ob, false, err
		}
		ob.Fingerprints = append(ob.Fingerprints, fps...)
	}
	// A refused connect proves a host only where the neighbour table
	// confirms one: loopback and routers answer for absent addresses.
	if len(ob.Ports) == 0 && !echoed && !(anyRefused && ob.MAC != "") && len(ob.Fingerprints) == 0 {
		return ob, false, nil
	}
	ob.Alive = true
	ob.Ports = sortedPorts(ob.Ports)
	slices.SortStableFunc(ob.Fingerprints, func(x, y scan.Fingerprint) int {
		if x.Port != y.Port {
			return x.Port - y.Port
		}
		return strings.Compare(x.Kind, y.Kind)
	})
	if ob.MAC != "" {
		ob.Vendor = oui.Lookup(ob.MAC)
	}
	ob.Fingerprints = append(ob.Fingerprints, infer(ob.Fingerprints)...)
	ob.Hints, ob.Hostname = distill(ob.Fingerprints)
	ob.Time = time.Now().UTC()
	return ob, true, nil
}

func allAre(rs []portResult, want result) bool {
	for _, r := range rs {
		if r.res != want {
			return false
		}
	}
	return len(rs) > 0
}

func anyIs(rs []portResult, want result) bool {
	for _, r := range rs {
		if r.res == want {
			return true
		}
	}
	return false
}

// learnMAC returns a's MAC from the neighbour table, asking the kernel to
// resolve it (an ARP request, nothing sent to the host itself) when it is
// not there. "" means the host did not answer ARP, or the MAC could not be
// learnt without touching the host, in which case the host is skipped.
func (r *run) learnMAC(ctx context.Context, h *host, ifindex int) (string, error) {
	if nb, err := readNeighbours(); err == nil && nb[h.addr] != "" {
		return nb[h.addr], nil
	}
	if !r.canARP.Load() {
		return "", nil
	}
	if err := r.acquire(ctx, h); err != nil {
		return "", err
	}
	defer r.release(h)
	if err := r.send(h.addr, 0, "arp-resolve"); err != nil {
		return "", err
	}
	if err := resolve(ifindex, h.addr); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, errors.ErrUnsupported) {
			r.canARP.Store(false)
			r.warn("arp", "MAC/OUI exclusions are set but MACs cannot be learnt before probing (needs CAP_NET_ADMIN on Linux): hosts on attached segments whose MAC is not already known are skipped")
			return "", nil
		}
		r.logf("resolve %v: %v", h.addr, err)
		return "", nil
	}
	deadline := time.Now().Add(r.cfg.Profile.ConnectTimeout)
	for time.Now().Before(deadline) {
		t := time.NewTimer(25 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		}
		if nb, err := readNeighbours(); err == nil && nb[h.addr] != "" {
			return nb[h.addr], nil
		}
	}
	return "", nil
}

func (r *run) echo(ctx context.Context, h *host) (bool, error) {
	if err := r.acquire(ctx, h); err != nil {
		return false, err
	}
	defer r.release(h)
	if err := r.send(h.addr, 0, "icmp-echo"); err != nil {
		return false, err
	}
	ectx, cancel := context.WithTimeout(ctx, r.cfg.Profile.ConnectTimeout)
	defer cancel()
	ok, err := echo(ectx, h.addr, uint16(r.seq.Add(1)))
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		r.warn("icmp-err", "ICMP echo: %v", err)
		return false, nil
	}
	return ok, nil
}

// probePorts probes ports, up to PerHost at once.
func (r *run) probePorts(ctx context.Context, h *host, ports []int) ([]portResult, error) {
	if len(ports) == 0 {
		return nil, nil
	}
	out := make([]portResult, len(ports))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.Profile.PerHost)
	for i, port := range ports {
		g.Go(func() error {
			pr, err := r.tcp(gctx, h, port)
			out[i] = pr
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// dial connects to port on h, paced, and returns the open connection,
// which the caller closes and then releases h's slot.
func (r *run) dial(ctx context.Context, h *host, port int) (net.Conn, result, error) {
	if err := r.acquire(ctx, h); err != nil {
		return nil, failed, err
	}
	dport := port + r.cfg.PortOffset
	if err := r.send(h.addr, dport, "tcp-connect"); err != nil {
		r.release(h)
		return nil, failed, err
	}
	// No keep-alive: a probe connection lives for seconds at most, and
	// each option set is a system call per probe.
	d := net.Dialer{Timeout: r.cfg.Profile.ConnectTimeout, KeepAlive: -1}
	start := time.Now()
	c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(h.addr, uint16(dport)).String())
	if err == nil {
		return c, open, nil
	}
	r.release(h)
	switch {
	case ctx.Err() != nil:
		return nil, failed, ctx.Err()
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, refused, nil
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return nil, unreachable, nil
	case isTimeout(err) || time.Since(start) >= r.cfg.Profile.ConnectTimeout:
		return nil, timedOut, nil
	default:
		return nil, failed, nil
	}
}

// tcp connects to one port and, if open, runs its fingerprint probe on the
// same connection.
func (r *run) tcp(ctx context.Context, h *host, port int) (portResult, error) {
	pr := portResult{port: port}
	c, res, err := r.dial(ctx, h, port)
	pr.res = res
	if err != nil || res != open {
		return pr, err
	}
	kind := probeKind(port)
	fp, err := r.fingerprint(ctx, h, c, port, kind)
	_ = c.Close()
	r.release(h)
	if err != nil {
		return pr, err
	}
	if fp != nil {
		pr.fps = append(pr.fps, *fp)
	}
	if kind == "http" && fp != nil && strings.Contains(fp.Fields["server"], "UPnP/") {
		// The UPnP Server header ("OS/1.0 UPnP/1.0 product/1.0") says a
		// device description is served; fetch it from where stacks put it.
		for _, path := range probe.UPnPPaths {
			c, res, err := r.dial(ctx, h, port)
			if err != nil {
				return pr, err
			}
			if res != open {
				break
			}
			fp, err := r.run(ctx, h, port, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
				return probe.UPnP(pctx, c, h.addr.String(), path, sent)
			})
			_ = c.Close()
			r.release(h)
			if err != nil {
				return pr, err
			}
			if fp != nil && fp.Fields["error"] == "" {
				pr.fps = append(pr.fps, *fp)
				break
			}
		}
	}
	return pr, nil
}

// fingerprint runs the port's probe on c.
func (r *run) fingerprint(ctx context.Context, h *host, c net.Conn, port int, kind string) (*scan.Fingerprint, error) {
	host := h.addr.String()
	switch kind {
	case "http":
		return r.run(ctx, h, port, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
			return probe.HTTP(pctx, c, host, "/", sent)
		})
	case "https":
		return r.run(ctx, h, port, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
			return probe.HTTPS(pctx, c, host, "/", sent)
		})
	case "ssh", "telnet", "vnc":
		return r.run(ctx, h, port, func(pctx context.Context, _ probe.Sent) (scan.Fingerprint, error) {
			return probe.Banner(pctx, c, kind)
		})
	case "dicom":
		return r.run(ctx, h, port, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
			return probe.DICOM(pctx, c, r.cfg.CallingAE, r.cfg.CalledAE, sent)
		})
	case "hl7":
		// MLLP: connect only. Sending even a well-formed message could
		// enter an interface engine's queue.
		return &scan.Fingerprint{Kind: "hl7", Port: port, Fields: map[string]string{"mllp": "listening"}}, nil
	}
	return nil, nil
}

// run runs one probe under the profile's timeout, logging what it sends.
// A probe that fails keeps what it read, with the error as a field; only
// cancellation and packet-log failures are returned.
func (r *run) run(ctx context.Context, h *host, port int,
	fn func(context.Context, probe.Sent) (scan.Fingerprint, error)) (*scan.Fingerprint, error) {
	return r.runFor(ctx, h, port, r.cfg.Profile.ProbeTimeout, fn)
}

// runFor is run with its own timeout.
func (r *run) runFor(ctx context.Context, h *host, port int, timeout time.Duration,
	fn func(context.Context, probe.Sent) (scan.Fingerprint, error)) (*scan.Fingerprint, error) {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var logErr error
	sent := func(what string) {
		if err := r.send(h.addr, port+r.cfg.PortOffset, what); err != nil && logErr == nil {
			logErr = err
			cancel() // stop the probe: what cannot be logged is not sent on
		}
	}
	fp, err := fn(pctx, sent)
	if logErr != nil {
		return nil, logErr
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	fp.Port = port
	if err != nil {
		if len(fp.Raw) == 0 && len(fp.Fields) == 0 {
			return nil, nil // nothing learnt (timeout, reset)
		}
		if fp.Fields == nil {
			fp.Fields = map[string]string{}
		}
		fp.Fields["error"] = probe.Field(shortErr(err))
	}
	return &fp, nil
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && errors.Is(err, probe.ErrNotProtocol) {
		return "not the expected protocol: " + s[i+2:]
	}
	return s
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
