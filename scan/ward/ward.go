package ward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Kind is the behaviour of one simulated service.
type Kind string

// The behaviours a simulated service can have.
const (
	// HTTP answers any GET with a page carrying Server, Title and Realm;
	// with UPnP set it also serves the device description.
	HTTP Kind = "http"
	// HTTPS is HTTP behind TLS with a self-signed certificate naming the
	// device (serialNumber attribute in the subject).
	HTTPS Kind = "https"
	// DICOM answers A-ASSOCIATE-RQ with an AC (or an RJ when AE is set and
	// not called), and A-RELEASE-RQ with an RP.
	DICOM Kind = "dicom"
	// HL7 is an MLLP listener that reads and never writes first.
	HL7 Kind = "hl7"
	// SSH sends Banner as its identification line on connect.
	SSH Kind = "ssh"
	// Telnet sends option negotiation, then Banner and a login prompt.
	Telnet Kind = "telnet"
	// VNC sends the RFB protocol version on connect.
	VNC Kind = "vnc"
	// Silent accepts and reads, never writing (RDP, raw printer ports).
	Silent Kind = "silent"
	// SNMP is a UDP agent answering GET sysDescr.0 for Community.
	SNMP Kind = "snmp"
	// SSDP is a UDP responder on port 1900 answering M-SEARCH with a
	// LOCATION: Location if set, else the URL of the device's service
	// that has a DescPath.
	SSDP Kind = "ssdp"

	// Hostile behaviours, for tests.

	// Tarpit accepts and never answers, holding the connection.
	Tarpit Kind = "tarpit"
	// Garbage sends random bytes and closes.
	Garbage Kind = "garbage"
	// Endless sends data without end.
	Endless Kind = "endless"
	// Drip sends a plausible answer one byte every 100 ms.
	Drip Kind = "drip"
)

// Service is one port a device listens on.
type Service struct {
	Port int
	Kind Kind
	// Banner is the SSH identification line, the telnet greeting, the
	// HTTP Server header, or for Drip the text dripped.
	Banner string
	// Title is the HTML page title (HTTP, HTTPS).
	Title string
	// Realm, when set, makes the page answer 401 with this Basic realm.
	Realm string
	// UPnP serves the device description at /description.xml.
	UPnP bool
	// DescPath, when set, serves the device description at this path
	// only: the description port of a UPnP stack, named by SSDP alone.
	DescPath string
	// Location is the LOCATION an SSDP service answers with, verbatim;
	// a hostile device can name any address.
	Location string
	// AE is the only called AE title a DICOM node accepts ("" any).
	AE string
	// ImplementationClassUID and ImplementationVersion are what a DICOM
	// node puts in its A-ASSOCIATE-AC.
	ImplementationClassUID string
	ImplementationVersion  string
	// Community is the SNMP community answered ("public" if empty);
	// SysDescr is the answer.
	Community string
	SysDescr  string
}

// Device is one simulated device.
type Device struct {
	// Name is a short label ("pump-1").
	Name string
	// Addr is the loopback address the device listens on.
	Addr netip.Addr
	// Identity, as its inventory record would hold it.
	Manufacturer string
	Model        string
	Serial       string
	Firmware     string
	// Class is the catalog device class ("infusion-pump", "ventilator").
	Class    string
	Services []Service
	// Hostile marks devices that misbehave on purpose.
	Hostile bool
}

// Ports returns the TCP ports the device listens on, ascending.
func (d Device) Ports() []int {
	var ps []int
	for _, s := range d.Services {
		if s.Kind != SNMP && s.Kind != SSDP {
			ps = append(ps, s.Port)
		}
	}
	slices.Sort(ps)
	return ps
}

// Config describes a ward.
type Config struct {
	Devices []Device
	// PortOffset is added to every port (TCP and UDP), so that an
	// unprivileged process can run the ward; a sweep of it must use the
	// same offset. Zero means the real ports, which needs root below 1024.
	PortOffset int
}

// Stats are what the ward saw of one address.
type Stats struct {
	// Accepts counts accepted TCP connections by service port (without
	// offset).
	Accepts map[int]int
	// AcceptTimes are the times of the accepted connections, in order.
	AcceptTimes []time.Time
	// MaxConcurrent is the most connections open at once to the address.
	MaxConcurrent int
	// Releases counts DICOM associations released cleanly.
	Releases int
	// SNMPRequests counts SNMP datagrams received.
	SNMPRequests int
	// SSDPRequests counts SSDP datagrams received.
	SSDPRequests int
}

// Total returns the number of accepted connections.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Accepts {
		n += c
	}
	return n
}

type addrStats struct {
	Stats
	open int
}

// Ward is a running simulated ward.
type Ward struct {
	cfg     Config
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	stats   map[netip.Addr]*addrStats
	conns   map[net.Conn]struct{}
	closers []func() error
	certs   map[netip.Addr]tls.Certificate
	base    Base
}

// Start brings the ward up: every service of every device listening on its
// address. It fails, binding nothing, if any address or port is taken.
// Close releases everything.
func Start(ctx context.Context, cfg Config) (*Ward, error) {
	wctx, cancel := context.WithCancel(ctx)
	w := &Ward{cfg: cfg, ctx: wctx, cancel: cancel, stats: map[netip.Addr]*addrStats{},
		conns: map[net.Conn]struct{}{}, certs: map[netip.Addr]tls.Certificate{}}
	for _, d := range cfg.Devices {
		if !d.Addr.Is4() || !d.Addr.IsLoopback() {
			w.Close()
			return nil, fmt.Errorf("ward: device %s: address %v is not in 127.0.0.0/8", d.Name, d.Addr)
		}
		w.stats[d.Addr] = &addrStats{Stats: Stats{Accepts: map[int]int{}}}
		for _, s := range d.Services {
			if err := w.listen(d, s); err != nil {
				w.Close()
				if errors.Is(err, os.ErrPermission) {
					return nil, fmt.Errorf("ward: %w (ports below 1024 need root; set Config.PortOffset)", err)
				}
				return nil, fmt.Errorf("ward: %w", err)
			}
		}
	}
	return w, nil
}

// Devices returns the simulated devices.
func (w *Ward) Devices() []Device { return slices.Clone(w.cfg.Devices) }

// PortOffset returns the offset added to every port.
func (w *Ward) PortOffset() int { return w.cfg.PortOffset }

// Stats returns what the ward saw of addr so far.
func (w *Ward) Stats(addr netip.Addr) Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.stats[addr]
	if !ok {
		return Stats{Accepts: map[int]int{}}
	}
	out := s.Stats
	out.Accepts = map[int]int{}
	for k, v := range s.Accepts {
		out.Accepts[k] = v
	}
	out.AcceptTimes = slices.Clone(s.AcceptTimes)
	return out
}

// Reset forgets the statistics gathered so far.
func (w *Ward) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for a, s := range w.stats {
		w.stats[a] = &addrStats{Stats: Stats{Accepts: map[int]int{}}, open: s.open}
	}
}

// Close stops every service, closes every open connection and waits for
// the ward's goroutines to end.
func (w *Ward) Close() error {
	w.cancel()
	w.mu.Lock()
	closers := w.closers
	w.closers = nil
	for c := range w.conns {
		_ = c.Close()
	}
	w.mu.Unlock()
	for _, c := range closers {
		_ = c()
	}
	w.wg.Wait()
	return nil
}

func (w *Ward) listen(d Device, s Service) error {
	port := s.Port + w.cfg.PortOffset
	hp := net.JoinHostPort(d.Addr.String(), strconv.Itoa(port))
	if s.Kind == SNMP || s.Kind == SSDP {
		pc, err := net.ListenPacket("udp4", hp)
		if err != nil {
			return err
		}
		w.mu.Lock()
		w.closers = append(w.closers, pc.Close)
		w.mu.Unlock()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			if s.Kind == SSDP {
				w.serveSSDP(pc, d, s)
				return
			}
			w.serveSNMP(pc, d, s)
		}()
		return nil
	}
	ln, err := net.Listen("tcp4", hp)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.closers = append(w.closers, ln.Close)
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !w.track(d.Addr, s.Port, c) {
				_ = c.Close()
				return
			}
			w.wg.Add(1)
			go func() {
				defer w.wg.Done()
				defer w.untrack(d.Addr, c)
				w.serve(c, d, s)
			}()
		}
	}()
	return nil
}

// track records an accepted connection; it reports false once the ward is
// closing.
func (w *Ward) track(addr netip.Addr, port int, c net.Conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil {
		return false
	}
	w.conns[c] = struct{}{}
	s := w.stats[addr]
	s.Accepts[port]++
	s.AcceptTimes = append(s.AcceptTimes, time.Now())
	s.open++
	s.MaxConcurrent = max(s.MaxConcurrent, s.open)
	return true
}

func (w *Ward) untrack(addr netip.Addr, c net.Conn) {
	_ = c.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.conns, c)
	w.stats[addr].open--
}

func (w *Ward) count(addr netip.Addr, fn func(*Stats)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(&w.stats[addr].Stats)
}
