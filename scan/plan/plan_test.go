package plan

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ward"
)

func TestBuildShape(t *testing.T) {
	seg := netip.MustParsePrefix("127.77.31.0/29")
	var live []string
	p, err := Build(Spec{Nets: []netip.Prefix{seg}, BLE: &BLE{Replay: "x.btsnoop", Fast: true},
		Scan: config.Scan{SNMP: []config.SNMP{
			{Segment: "127.77.31.0/29", CommunityEnv: "T_COMMUNITY"},
			{Segment: "127.77.32.0/29", User: "biomed", AuthProto: "SHA", AuthPassEnv: "T_AUTH"},
		}},
		Getenv: func(k string) string { return map[string]string{"T_COMMUNITY": "ward-ro"}[k] },
		Warn:   func(w string) { live = append(live, w) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var kinds []scan.Source
	for _, s := range p.Sources {
		kinds = append(kinds, s.Kind)
	}
	if !slices.Equal(kinds, []scan.Source{scan.SourceBLE, scan.SourceIP}) || !strings.HasPrefix(p.Sources[1].Name, "IP 127.77.31.0/29") {
		t.Errorf("sources %v %q", kinds, p.Sources[1].Name)
	}
	w := p.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "$T_AUTH is not set") || !slices.Equal(w, live) {
		t.Errorf("warnings %q (live %q)", w, live)
	}
	for _, bad := range []Spec{
		{Nets: []netip.Prefix{seg}, Profile: "reckless"},
		{Nets: []netip.Prefix{seg}, Exclude: []string{"not-an-address"}},
		{Nets: []netip.Prefix{netip.MustParsePrefix("8.8.8.0/24")}},
		{BLE: &BLE{Replay: "x", Active: true}},
		{BLE: &BLE{Fast: true, Duration: time.Second}},
	} {
		if _, err := Build(bad); !errors.Is(err, ErrUsage) {
			t.Errorf("%+v: %v, want ErrUsage", bad, err)
		}
	}
}

// TestPlanHonoursConfig sweeps a small ward through a plan: the
// per-segment SNMP community (from the environment), the exclusions of
// the configuration, of the caller and of excluded classes, and the
// configured packet log are all honoured, as the TUI and the command line
// both build through here.
func TestPlanHonoursConfig(t *testing.T) {
	offset := 0
	if os.Geteuid() != 0 {
		offset = 20000
	}
	// Addresses come from a free loopback base, so that another test
	// process on this machine never holds them.
	w, err := ward.StartFree(context.Background(), func(b ward.Base) ward.Config {
		a := func(h byte) netip.Addr { return b.Addr(33, h) }
		return ward.Config{PortOffset: offset, Devices: []ward.Device{
			{Name: "vent", Addr: a(2), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "Servo", Title: "SERVO-U"},
				{Port: 161, Kind: ward.SNMP, Community: "ward-ro", SysDescr: "Getinge SERVO-u"}}},
			{Name: "cfg-excluded", Addr: a(3), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "x"}}},
			{Name: "flag-excluded", Addr: a(4), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "x"}}},
			{Name: "class-excluded", Addr: a(5), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "x"}}},
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a := func(h byte) netip.Addr { return w.Base().Addr(33, h) }
	logPath := filepath.Join(t.TempDir(), "packets.log")
	seg := netip.PrefixFrom(a(0), 29)
	p, err := Build(Spec{Nets: []netip.Prefix{seg}, PortOffset: offset, NoICMP: true, Profile: "fast",
		Scan: config.Scan{Exclude: []string{a(3).String()}, PacketLog: logPath,
			SNMP: []config.SNMP{{Segment: seg.String(), CommunityEnv: "T_COMMUNITY"}}},
		Exclude:       []string{a(4).String()},
		ClassExcluded: []Excluded{{Value: a(5).String(), Reason: "class ventilator: V-5"}, {Value: "nonsense", Reason: "class x: X-1"}},
		Getenv:        func(k string) string { return map[string]string{"T_COMMUNITY": "ward-ro"}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := make(chan scan.Observation, 64)
	if err := p.Sources[0].Sweeper.Sweep(ctx, out); err != nil {
		t.Fatal(err)
	}
	close(out)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var sysDescr string
	for o := range out {
		for _, fp := range o.Fingerprints {
			if o.IP == a(2) && fp.Kind == "snmp" {
				sysDescr = fp.Fields["sysDescr"]
			}
		}
	}
	if sysDescr != "Getinge SERVO-u" {
		t.Errorf("SNMP identity with the segment's community: sysDescr %q", sysDescr)
	}
	log, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(log), "\t"+a(2).String()+"\t") {
		t.Fatalf("packet log: %v %q", err, log)
	}
	for _, h := range []byte{3, 4, 5} {
		if strings.Contains(string(log), "\t"+a(h).String()+"\t") || w.Stats(a(h)).Total() != 0 {
			t.Errorf("%v was excluded but probed", a(h))
		}
	}
	if ws := strings.Join(p.Warnings(), "\n"); !strings.Contains(ws, `"nonsense", which is not an address`) || !strings.Contains(ws, "excluded") {
		t.Errorf("warnings: %s", ws)
	}
}
