package ip

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ward"
)

// startWard runs the devices build returns on a free loopback base (see
// ward.StartFree), moving ports up when not root; the ward's Base says
// where it landed.
func startWard(t testing.TB, build func(ward.Base) ward.Config) *ward.Ward {
	t.Helper()
	w, err := ward.StartFree(context.Background(), func(b ward.Base) ward.Config {
		cfg := build(b)
		if os.Geteuid() != 0 {
			cfg.PortOffset = 20000
		}
		return cfg
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// sweep runs s to completion and returns its observations by address.
func sweep(t *testing.T, cfg Config) (map[netip.Addr]scan.Observation, error) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan scan.Observation, 1024)
	err = s.Sweep(context.Background(), out)
	close(out)
	got := map[netip.Addr]scan.Observation{}
	for o := range out {
		if _, dup := got[o.IP]; dup {
			t.Errorf("two observations of %v", o.IP)
		}
		got[o.IP] = o
	}
	return got, err
}

// syncBuffer is a packet log the test can read while the sweep writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

type logLine struct {
	at   time.Time
	addr netip.Addr
	port int
	what string
}

func (s *syncBuffer) lines(t *testing.T) []logLine {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("packet log line %q: want 4 tab-separated fields", sc.Text())
		}
		at, err1 := time.Parse(time.RFC3339Nano, f[0])
		port, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("packet log line %q: %v %v", sc.Text(), err1, err2)
		}
		out = append(out, logLine{at, netip.MustParseAddr(f[1]), port, f[3]})
	}
	return out
}

func fingerprint(o scan.Observation, kind string, port int) (scan.Fingerprint, bool) {
	for _, fp := range o.Fingerprints {
		if fp.Kind == kind && fp.Port == port {
			return fp, true
		}
	}
	return scan.Fingerprint{}, false
}

// TestSweepWard sweeps the whole simulated ward, hostile devices included,
// and checks every fingerprint, every exclusion and the packet log.
func TestSweepWard(t *testing.T) {
	w := startWard(t, func(b ward.Base) ward.Config {
		cfg := ward.DefaultOn(b)
		// The hostile devices that answer at once share the segment; the
		// tarpit and the drip, which only cost time, are TestHostileDevices'.
		for _, d := range ward.HostileOn(b) {
			if d.Name != "tarpit" && d.Name != "drip" {
				cfg.Devices = append(cfg.Devices, d)
			}
		}
		// A device just outside the swept segment.
		cfg.Devices = append(cfg.Devices, ward.Device{Name: "next-ward", Addr: b.Addr(1, 10),
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "x", Title: "x"}, {Port: 22, Kind: ward.SSH, Banner: "SSH-2.0-x"}}})
		return cfg
	})
	b := w.Base()
	var (
		outOfScope = b.Addr(1, 10)
		exclIP     = b.Addr(0, 12)                       // pump-2, excluded by address
		exclCIDR   = netip.PrefixFrom(b.Addr(0, 56), 30) // 56-59: bloodgas-1, lab-1, glucose-1
		exclByCIDR = []netip.Addr{b.Addr(0, 56), b.Addr(0, 57), b.Addr(0, 58)}
	)

	var ex Exclusions
	if err := ex.AddAll([]string{exclIP.String(), exclCIDR.String()}, "test"); err != nil {
		t.Fatal(err)
	}
	plog := &syncBuffer{}
	got, err := sweep(t, Config{Nets: []netip.Prefix{b.Net(0)}, Profile: patient(Fast), Exclude: ex, SNMP: true,
		PacketLog: plog, PortOffset: w.PortOffset()})
	if err != nil {
		t.Fatal(err)
	}

	excluded := append([]netip.Addr{exclIP, outOfScope}, exclByCIDR...)
	for _, a := range excluded {
		if n := w.Stats(a).Total(); n != 0 {
			t.Errorf("%v (excluded or out of scope) received %d connections", a, n)
		}
		if _, ok := got[a]; ok {
			t.Errorf("%v (excluded or out of scope) was reported", a)
		}
	}

	for _, d := range w.Devices() {
		if slices.Contains(excluded, d.Addr) {
			continue
		}
		st := w.Stats(d.Addr)
		for _, p := range []int{9100, 9101} {
			if st.Accepts[p] != 0 {
				t.Errorf("%s: printer port %d received %d connections", d.Name, p, st.Accepts[p])
			}
		}
		o, ok := got[d.Addr]
		if !ok {
			t.Errorf("%s (%v) not found", d.Name, d.Addr)
			continue
		}
		checkDevice(t, d, o, st)
	}
	if len(got) != len(w.Devices())-len(excluded) {
		t.Errorf("found %d hosts, want %d", len(got), len(w.Devices())-len(excluded))
	}

	// The packet log holds a line for every connection the ward saw, and
	// nothing outside the scope.
	connects := map[netip.AddrPort]int{}
	for _, l := range plog.lines(t) {
		if !b.Net(0).Contains(l.addr) || slices.Contains(excluded, l.addr) || printerPort(l.port-w.PortOffset()) {
			t.Errorf("packet log: %v:%d %s is out of bounds", l.addr, l.port, l.what)
		}
		if l.what == "tcp-connect" {
			connects[netip.AddrPortFrom(l.addr, uint16(l.port-w.PortOffset()))]++
		}
	}
	for _, d := range w.Devices() {
		for port, n := range w.Stats(d.Addr).Accepts {
			if c := connects[netip.AddrPortFrom(d.Addr, uint16(port))]; c < n {
				t.Errorf("%s:%d accepted %d connections, packet log shows %d connects", d.Name, port, n, c)
			}
		}
	}
}

// patient returns p with timeouts long enough for a loaded CI machine
// running the race detector: these tests check what is learnt, not how
// fast (the benchmark does that).
func patient(p Profile) Profile {
	p.ConnectTimeout, p.ProbeTimeout = 10*time.Second, 20*time.Second
	p.Hosts = min(p.Hosts, 32)
	return p
}

// checkDevice checks what the sweep learnt of one simulated device.
func checkDevice(t *testing.T, d ward.Device, o scan.Observation, st ward.Stats) {
	t.Helper()
	var want []int
	for _, p := range d.Ports() {
		if !printerPort(p) {
			want = append(want, p)
		}
	}
	if !slices.Equal(o.Ports, want) {
		t.Errorf("%s: ports %v, want %v", d.Name, o.Ports, want)
	}
	for _, fp := range o.Fingerprints {
		if len(fp.Raw) > scan.MaxRaw {
			t.Errorf("%s: %s fingerprint keeps %d raw bytes", d.Name, fp.Kind, len(fp.Raw))
		}
		for k, v := range fp.Fields {
			if !inert.Clean(v) {
				t.Errorf("%s: %s field %s = %q is not inert", d.Name, fp.Kind, k, v)
			}
		}
	}
	for _, v := range []string{o.Hostname, o.Hints.Manufacturer, o.Hints.Model, o.Hints.Serial, o.Hints.Firmware} {
		if !inert.Clean(v) {
			t.Errorf("%s: hint %q is not inert", d.Name, v)
		}
	}
	if d.Hostile {
		return
	}
	upnp := false
	for _, s := range d.Services {
		fpKind := map[ward.Kind]string{ward.HTTP: "http", ward.HTTPS: "http", ward.DICOM: "dicom", ward.SSH: "ssh",
			ward.Telnet: "telnet", ward.VNC: "vnc", ward.HL7: "hl7", ward.SNMP: "snmp"}[s.Kind]
		if fpKind == "" {
			continue
		}
		fp, ok := fingerprint(o, fpKind, s.Port)
		if !ok {
			t.Errorf("%s: no %s fingerprint on %d", d.Name, fpKind, s.Port)
			continue
		}
		f := fp.Fields
		if f["error"] != "" {
			t.Errorf("%s: %s on %d failed: %s", d.Name, fpKind, s.Port, f["error"])
		}
		switch s.Kind {
		case ward.HTTP, ward.HTTPS:
			wantTitle := s.Title
			if s.Realm != "" {
				wantTitle = "401 Unauthorized"
				if f["realm"] != s.Realm {
					t.Errorf("%s: realm %q, want %q", d.Name, f["realm"], s.Realm)
				}
			}
			if f["server"] != s.Banner || f["title"] != wantTitle {
				t.Errorf("%s: server %q title %q, want %q %q", d.Name, f["server"], f["title"], s.Banner, wantTitle)
			}
			if s.Kind == ward.HTTPS && (f["tls"] == "" || f["cert_serial_number"] != d.Serial) {
				t.Errorf("%s: tls %q cert serial %q, want %q", d.Name, f["tls"], f["cert_serial_number"], d.Serial)
			}
			if s.UPnP {
				upnp = true
				u, ok := fingerprint(o, "upnp", s.Port)
				switch {
				case !ok:
					t.Errorf("%s: no UPnP description", d.Name)
				case u.Fields["serialNumber"] != d.Serial || u.Fields["manufacturer"] != d.Manufacturer ||
					u.Fields["modelName"] != d.Model || u.Fields["UDN"] != d.UDN() || u.Fields["friendlyName"] != d.Name:
					t.Errorf("%s: UPnP fields %q", d.Name, u.Fields)
				}
			}
		case ward.DICOM:
			if s.AE != "" {
				if f["pdu"] != "associate-rj" || f["result"] != "rejected-permanent" {
					t.Errorf("%s: DICOM with AE %s: %q, want a rejection", d.Name, s.AE, f)
				}
				continue
			}
			if f["pdu"] != "associate-ac" || f["implementationClassUID"] != s.ImplementationClassUID ||
				f["implementationVersionName"] != s.ImplementationVersion || f["release"] != "ok" {
				t.Errorf("%s: DICOM %q", d.Name, f)
			}
			if st.Releases != 1 {
				t.Errorf("%s: %d associations released cleanly, want 1", d.Name, st.Releases)
			}
			if o.Hints.Software != s.ImplementationVersion {
				t.Errorf("%s: software hint %q", d.Name, o.Hints.Software)
			}
		case ward.SSH:
			if f["banner"] != s.Banner {
				t.Errorf("%s: SSH banner %q, want %q", d.Name, f["banner"], s.Banner)
			}
		case ward.Telnet:
			if !strings.Contains(f["banner"], s.Banner) {
				t.Errorf("%s: telnet banner %q, want it to hold %q", d.Name, f["banner"], s.Banner)
			}
		case ward.VNC:
			if f["version"] != "003.008" {
				t.Errorf("%s: VNC %q", d.Name, f)
			}
		case ward.SNMP:
			if f["sysDescr"] != s.SysDescr {
				t.Errorf("%s: sysDescr %q, want %q", d.Name, f["sysDescr"], s.SysDescr)
			}
		}
	}
	h := o.Hints
	switch {
	case upnp:
		if h.Manufacturer != d.Manufacturer || h.Model != d.Model || h.Serial != d.Serial || h.SerialSource != "upnp" ||
			h.Firmware != d.Firmware || o.Hostname != d.Name {
			t.Errorf("%s: hints %+v hostname %q", d.Name, h, o.Hostname)
		}
	case slices.ContainsFunc(d.Services, func(s ward.Service) bool { return s.Kind == ward.HTTPS }):
		if h.Serial != d.Serial || h.SerialSource != "tls-cert" {
			t.Errorf("%s: hints %+v, want the certificate's serial", d.Name, h)
		}
	}
}

// TestHostileDevices checks that misbehaving devices neither hang nor
// bloat the sweep.
func TestHostileDevices(t *testing.T) {
	w := startWard(t, func(b ward.Base) ward.Config { return ward.Config{Devices: ward.HostileOn(b)} })
	prof := Fast
	prof.ProbeTimeout = 2 * time.Second
	got, err := sweep(t, Config{Nets: []netip.Prefix{netip.PrefixFrom(w.Base().Addr(0, 200), 29)}, Profile: prof, PortOffset: w.PortOffset()})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]scan.Observation{}
	for _, d := range w.Devices() {
		byName[strings.SplitN(d.Name, "\x1b", 2)[0]] = got[d.Addr]
	}
	// The tarpit's ports are open but say nothing.
	if o := byName["tarpit"]; !slices.Equal(o.Ports, []int{22, 80, 104}) || len(o.Fingerprints) != 0 {
		t.Errorf("tarpit: ports %v fingerprints %v", o.Ports, o.Fingerprints)
	}
	// Garbage and endless data are kept bounded; where the bytes are not
	// the protocol, the error is noted. (Endless "HTTP/1.1 200 OK" lines
	// are HTTP, and telnet takes any text.)
	for _, name := range []string{"garbage", "endless"} {
		o := byName[name]
		if len(o.Ports) != 4 || len(o.Fingerprints) != 4 {
			t.Errorf("%s: ports %v, %d fingerprints", name, o.Ports, len(o.Fingerprints))
		}
		for _, fp := range o.Fingerprints {
			wantErr := fp.Kind != "telnet" && !(name == "endless" && fp.Kind == "http")
			if len(fp.Raw) == 0 || len(fp.Raw) > scan.MaxRaw || (fp.Fields["error"] != "") != wantErr {
				t.Errorf("%s: %s on %d: %d raw bytes, error %q", name, fp.Kind, fp.Port, len(fp.Raw), fp.Fields["error"])
			}
		}
	}
	// The drip is cut off by the probe timeout.
	if fp, ok := fingerprint(byName["drip"], "http", 80); !ok || len(fp.Raw) == 0 || len(fp.Raw) > 25 {
		t.Errorf("drip: %+v", byName["drip"].Fingerprints)
	}
	// Escape sequences never reach a field.
	o := byName["escapes"]
	if fp, ok := fingerprint(o, "ssh", 22); !ok || fp.Fields["softwareversion"] != "\uFFFDEvil\uFFFD" {
		t.Errorf("escapes: ssh %q", fp.Fields)
	}
	if fp, ok := fingerprint(o, "upnp", 80); !ok || fp.Fields["modelName"] != "X\uFFFD" {
		t.Errorf("escapes: upnp %q", fp.Fields)
	}
	if !strings.HasPrefix(o.Hints.Manufacturer, "Evil\uFFFD") || !inert.Clean(o.Hints.Manufacturer) || !inert.Clean(o.Hostname) || !inert.Clean(o.Hints.Serial) {
		t.Errorf("escapes: hints %+v hostname %q", o.Hints, o.Hostname)
	}
}

// pacedWard is a small ward whose hosts each have several open ports.
func pacedWard(b ward.Base) ward.Config {
	var cfg ward.Config
	for i := range 6 {
		cfg.Devices = append(cfg.Devices, ward.Device{Name: "d" + strconv.Itoa(i), Addr: b.Addr(2, byte(i+1)),
			Services: []ward.Service{
				{Port: 80, Kind: ward.HTTP, Banner: "Linux UPnP/1.0 x/1", Title: "t", UPnP: true},
				{Port: 22, Kind: ward.SSH, Banner: "SSH-2.0-x"},
				{Port: 104, Kind: ward.DICOM, ImplementationClassUID: "1.2.3", ImplementationVersion: "V"},
				{Port: 2575, Kind: ward.HL7}, {Port: 3389, Kind: ward.Silent}, {Port: 5900, Kind: ward.VNC},
			}})
	}
	return cfg
}

// TestSafeProfileCaps proves the safe profile's promises on the ward: one
// connection per host at a time, the gap between connections to a host,
// and the global rate cap.
func TestSafeProfileCaps(t *testing.T) {
	w := startWard(t, pacedWard)
	prof := patient(Safe)
	prof.Rate, prof.Burst = 40, 1
	plog := &syncBuffer{}
	nets := []netip.Prefix{netip.PrefixFrom(w.Base().Addr(2, 0), 29)}
	got, err := sweep(t, Config{Nets: nets, Profile: prof, PortOffset: w.PortOffset(), PacketLog: plog})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("found %d hosts, want 6", len(got))
	}
	const slack = 20 * time.Millisecond // accept is timed by the ward, after the connect
	for _, d := range w.Devices() {
		st := w.Stats(d.Addr)
		if st.MaxConcurrent != 1 {
			t.Errorf("%s: %d connections at once, want 1", d.Name, st.MaxConcurrent)
		}
		if st.Total() < 7 {
			t.Errorf("%s: only %d connections", d.Name, st.Total())
		}
		for i := 1; i < len(st.AcceptTimes); i++ {
			if gap := st.AcceptTimes[i].Sub(st.AcceptTimes[i-1]); gap < prof.Gap-slack {
				t.Errorf("%s: connections %d and %d %v apart, want at least %v", d.Name, i-1, i, gap, prof.Gap)
			}
		}
	}
	// Global cap: N probes at 40/s with a burst of 1 span at least
	// (N-1)/40 s. Without the limiter the 6 hosts would go in parallel.
	var times []time.Time
	for _, l := range plog.lines(t) {
		if l.what == "tcp-connect" {
			times = append(times, l.at)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	span := times[len(times)-1].Sub(times[0])
	min := time.Duration(float64(len(times)-1) / float64(prof.Rate) * float64(time.Second))
	if span < min*95/100 {
		t.Errorf("%d probes in %v: faster than the cap of %v/s (want at least %v)", len(times), span, prof.Rate, min)
	}
	// Per one-second window, never more than burst + rate x (1 s + the
	// 50 ms allowed between a token's grant and the log line's time).
	limit := prof.Burst + int(float64(prof.Rate)*1.05)
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		if n := j - i; n > limit {
			t.Fatalf("%d probes within one second from %v, cap %v/s", n, times[i], prof.Rate)
		}
	}
}

// TestCancel stops a safe sweep of a /24 full of tarpits midway: Sweep
// must return within 200 ms and leave no goroutine behind.
func TestCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	w := startWard(t, func(b ward.Base) ward.Config {
		cfg := ward.DefaultOn(b)
		for i := range 20 {
			cfg.Devices = append(cfg.Devices, ward.Device{Name: "tarpit", Addr: b.Addr(0, byte(100+i)),
				Services: []ward.Service{{Port: 80, Kind: ward.Tarpit}, {Port: 104, Kind: ward.Tarpit}}})
		}
		return cfg
	})
	s, err := New(Config{Nets: []netip.Prefix{w.Base().Net(0)}, PortOffset: w.PortOffset()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan scan.Observation) // unbuffered, never read after cancel
	done := make(chan error, 1)
	go func() { done <- s.Sweep(ctx, out) }()
	go func() {
		for range out {
		}
	}()
	time.Sleep(700 * time.Millisecond)
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if took := time.Since(start); took > 200*time.Millisecond {
			t.Errorf("Sweep returned %v after cancel, want within 200 ms", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Sweep = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Sweep did not return after cancel")
	}
	close(out)
	_ = w.Close()
}

// failingWriter accepts n writes, then fails.
type failingWriter struct {
	mu sync.Mutex
	n  int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

// TestPacketLogFailureStops proves that a probe that cannot be logged is
// not sent: the sweep stops at the first failed write.
func TestPacketLogFailureStops(t *testing.T) {
	w := startWard(t, pacedWard)
	prof := Safe
	prof.Hosts = 1
	_, err := sweep(t, Config{Nets: []netip.Prefix{netip.PrefixFrom(w.Base().Addr(2, 0), 29)}, Profile: prof,
		PortOffset: w.PortOffset(), PacketLog: &failingWriter{n: 3}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Sweep = %v, want the packet log error", err)
	}
	total := 0
	for _, d := range w.Devices() {
		total += w.Stats(d.Addr).Total()
	}
	if total > 3 {
		t.Errorf("%d connections accepted after 3 logged probes", total)
	}
}
