package ip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/oui"
	"github.com/biomed-rounds/rounds/scan/probe"
)

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
