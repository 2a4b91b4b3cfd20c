package plan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/scan/probe"
)

// ErrUsage marks errors in what the caller asked for (a bad profile,
// exclusion, or option combination), as opposed to failures.
var ErrUsage = errors.New("plan: invalid request")

// Excluded is an address the inventory records for a device of an
// excluded class.
type Excluded struct {
	// Value is an IP or MAC; Reason is shown when it is skipped.
	Value, Reason string
}

// BLE asks for a BLE source: a replay of Replay when set, else a live
// scan on Adapter.
type BLE struct {
	Replay string
	// Fast replays at once rather than at capture pace.
	Fast bool

	Adapter  int
	Duration time.Duration
	Active   bool
	ReadDIS  []string
}

// Spec is what to sweep.
type Spec struct {
	// Room names the room, for messages.
	Room string
	// Nets are the segments to sweep: the room's, or those given on the
	// command line (parsed once by the caller). None means no IP sweep.
	Nets []netip.Prefix
	// ForceScope allows public and large segments (--force-scope).
	ForceScope bool
	// Scan is the configuration's [scan] section.
	Scan config.Scan
	// Profile overrides the configuration's profile when set.
	Profile string
	// Exclude adds to the configuration's exclusions (--exclude).
	Exclude []string
	// ClassExcluded are the inventory's addresses of the excluded device
	// classes (config exclude_classes), which the caller reads.
	ClassExcluded []Excluded
	// SNMP turns the SNMP identity probe on for every segment, with
	// SNMPCommunity (or "public"); [[scan.snmp]] entries apply anyway.
	SNMP          bool
	SNMPCommunity string
	// PacketLog, when set, is a file that receives a line per packet
	// (created 0600, appended to); empty means the configuration's
	// [scan] packet_log.
	PacketLog string
	// BLE, when set, adds a BLE source.
	BLE *BLE
	// Getenv reads credentials; nil means os.Getenv.
	Getenv func(string) string
	// Warn receives each warning as it happens, besides Plan.Warnings;
	// it may be called from the sweeps' goroutines.
	Warn func(string)
	// PortOffset is for simulated wards only (see ip.Config).
	PortOffset int
	// NoICMP turns the ICMP echo off.
	NoICMP bool
}

// Source is one sweep of the room.
type Source struct {
	// Name is shown to the user ("IP 10.3.12.0/24", "BLE replay x").
	Name    string
	Kind    scan.Source
	Sweeper scan.Sweeper
}

// Plan is a room's sources. Close it once the sweeps are over.
type Plan struct {
	Sources []Source
	mu      sync.Mutex
	warns   []string
	warnFn  func(string)
	closers []func() error
}

// Warnings returns the warnings so far: those of the build, then those
// of the sweeps.
func (p *Plan) Warnings() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.warns...)
}

func (p *Plan) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	p.mu.Lock()
	if len(p.warns) < 1000 { // bounded: a sweep of many hosts can warn per host
		p.warns = append(p.warns, w)
	}
	fn := p.warnFn
	p.mu.Unlock()
	if fn != nil {
		fn(w)
	}
}

// Close releases the packet log.
func (p *Plan) Close() error {
	var err error
	for _, c := range p.closers {
		err = errors.Join(err, c())
	}
	p.closers = nil
	return err
}

// Build makes the room's sources from s. Nothing is sent.
func Build(s Spec) (*Plan, error) {
	p := &Plan{warnFn: s.Warn}
	if s.BLE != nil {
		src, err := p.bleSource(s)
		if err != nil {
			return nil, err
		}
		p.Sources = append(p.Sources, src)
	}
	if len(s.Nets) > 0 {
		src, err := p.ipSource(s)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.Sources = append(p.Sources, src)
	}
	return p, nil
}

func (p *Plan) ipSource(s Spec) (Source, error) {
	profile := s.Profile
	if profile == "" {
		profile = s.Scan.Profile
	}
	prof, err := ip.ProfileNamed(profile)
	if err != nil {
		return Source{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	var ex ip.Exclusions
	if err := ex.AddAll(s.Scan.Exclude, "config"); err != nil {
		return Source{}, fmt.Errorf("%w: config [scan] exclude: %w", ErrUsage, err)
	}
	if err := ex.AddAll(s.Exclude, "--exclude"); err != nil {
		return Source{}, fmt.Errorf("%w: --exclude: %w", ErrUsage, err)
	}
	for _, e := range s.ClassExcluded {
		if err := ex.Add(e.Value, e.Reason); err != nil {
			p.warnf("inventory: %s records %q, which is not an address; fix the record", e.Reason, e.Value)
		}
	}
	segs, err := p.snmpSegments(s)
	if err != nil {
		return Source{}, err
	}
	community := s.SNMPCommunity
	cfg := ip.Config{
		Nets: append([]netip.Prefix(nil), s.Nets...), ForceScope: s.ForceScope, Profile: prof, Exclude: ex,
		SNMP: s.SNMP, SNMPCommunity: community, SNMPSegments: segs,
		PortOffset: s.PortOffset, NoICMP: s.NoICMP,
		Logf: func(format string, args ...any) { p.warnf("ip: "+format, args...) },
	}
	if s.PacketLog == "" {
		s.PacketLog = s.Scan.PacketLog
	}
	if s.PacketLog != "" {
		f, err := os.OpenFile(s.PacketLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return Source{}, fmt.Errorf("packet log: %w", err)
		}
		p.closers = append(p.closers, f.Close)
		cfg.PacketLog = f
	}
	sw, err := ip.New(cfg)
	if err != nil {
		if errors.Is(err, ip.ErrPublic) || errors.Is(err, ip.ErrTooLarge) || errors.Is(err, ip.ErrNeverSwept) {
			return Source{}, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		return Source{}, err
	}
	var names []string
	for _, n := range s.Nets {
		names = append(names, n.String())
	}
	return Source{Name: "IP " + strings.Join(names, ", "), Kind: scan.SourceIP, Sweeper: sw}, nil
}

// snmpSegments resolves [[scan.snmp]] credentials from the environment.
// A segment whose secret is not set is warned about and left out.
func (p *Plan) snmpSegments(s Spec) ([]ip.SNMPSegment, error) {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var out []ip.SNMPSegment
	for _, e := range s.Scan.SNMP {
		pfx, err := netip.ParsePrefix(e.Segment)
		if err != nil {
			return nil, fmt.Errorf("%w: [[scan.snmp]] segment %q: not a CIDR", ErrUsage, e.Segment)
		}
		a := probe.SNMPAuth{User: e.User, AuthProto: e.AuthProto, PrivProto: e.PrivProto}
		missing := ""
		if e.CommunityEnv != "" {
			if a.Community = getenv(e.CommunityEnv); a.Community == "" {
				missing = e.CommunityEnv
			}
		}
		if e.AuthPassEnv != "" {
			if a.AuthPass = getenv(e.AuthPassEnv); a.AuthPass == "" {
				missing = e.AuthPassEnv
			}
		}
		if e.PrivPassEnv != "" {
			if a.PrivPass = getenv(e.PrivPassEnv); a.PrivPass == "" {
				missing = e.PrivPassEnv
			}
		}
		if missing != "" {
			p.warnf("snmp: %s: $%s is not set; no SNMP identity on that segment", pfx, missing)
			continue
		}
		out = append(out, ip.SNMPSegment{Prefix: pfx.Masked(), Auth: a})
	}
	return out, nil
}

func (p *Plan) bleSource(s Spec) (Source, error) {
	b := s.BLE
	if b.Replay != "" {
		if b.Active || len(b.ReadDIS) > 0 {
			return Source{}, fmt.Errorf("%w: active scanning and DIS reads need a live scan; a replay cannot send anything", ErrUsage)
		}
		r := &ble.Replay{Path: b.Replay, Fast: b.Fast}
		return Source{Name: "BLE replay " + b.Replay, Kind: scan.SourceBLE, Sweeper: replay{r, p}}, nil
	}
	if b.Fast {
		return Source{}, fmt.Errorf("%w: fast applies to replays only", ErrUsage)
	}
	l := &ble.Live{Adapter: b.Adapter, Active: b.Active, Duration: b.Duration, ReadDIS: b.ReadDIS,
		Notef: func(format string, args ...any) { p.warnf("ble: "+format, args...) }}
	if err := l.Validate(); err != nil {
		return Source{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if b.Active {
		p.warnf("ble: active scanning: scan requests will be sent to every advertiser in range")
	}
	return Source{Name: fmt.Sprintf("BLE hci%d", b.Adapter), Kind: scan.SourceBLE, Sweeper: live{l, p}}, nil
}

// replay reports what a replay skipped once it is done.
type replay struct {
	r *ble.Replay
	p *Plan
}

func (s replay) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := s.r.Sweep(ctx, out)
	st := s.r.Stats()
	if st.Malformed > 0 || st.BadAD > 0 || st.Panics > 0 || st.Overflow > 0 {
		s.p.warnf("ble replay %s: %d records, %d advertisements from %d addresses; skipped %d malformed events or reports, %d bad AD fields, %d advertisements beyond the advertiser cap",
			s.r.Path, st.Records, st.Reports, st.Addresses, st.Malformed, st.BadAD, st.Overflow)
	}
	return err
}

// live reports what a live scan dropped once it is done.
type live struct {
	l *ble.Live
	p *Plan
}

func (s live) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := s.l.Sweep(ctx, out)
	if st := s.l.Stats(); st.Dropped > 0 || st.Malformed > 0 {
		s.p.warnf("ble: %d advertisements from %d addresses; %d dropped (too many at once), %d malformed",
			st.Reports, st.Addresses, st.Dropped, st.Malformed)
	}
	return err
}
