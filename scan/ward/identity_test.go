package ward_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/scan/probe"
	"github.com/biomed-rounds/rounds/scan/ward"
	"github.com/biomed-rounds/rounds/store"
)

// identityWard is a ward of devices that say who they are the way real
// ones do: the web UI knows nothing of UPnP, the description sits on a
// high port that only the SSDP answer names; one ventilator answers SNMP
// through a real snmpd with ENTITY-MIB; two devices send hostile
// LOCATIONs, one naming a bystander outside the swept segment, one naming
// another device of the ward.
func identityWard(b ward.Base, offset int) (ward.Config, []ward.Device) {
	a := func(h byte) netip.Addr { return b.Addr(3, h) }
	devs := []ward.Device{
		{Name: "monitor-9", Addr: a(11), Manufacturer: "Mindray", Model: "BeneVision N17", Serial: "MRN17-CX09911", Firmware: "04.02.00",
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "BeneVision-Web/4.2", Title: "BeneVision N17"},
				{Port: 49152, Kind: ward.HTTP, Banner: "Linux/4.1 UPnP/1.0 Portable SDK for UPnP devices/1.6.25", DescPath: "/upnp/desc.xml"},
				{Port: 1900, Kind: ward.SSDP, Banner: "Linux/4.1 UPnP/1.0 Portable SDK for UPnP devices/1.6.25"}}},
		{Name: "pump-9", Addr: a(12), Manufacturer: "B. Braun", Model: "SpaceStation", Serial: "BBSS-00871299", Firmware: "L2.0.3",
			Services: []ward.Service{{Port: 8080, Kind: ward.HTTP, Banner: "SpaceCom/2.0", Title: "SpaceCom 2"},
				{Port: 49153, Kind: ward.HTTP, Banner: "miniupnpd/2.1", DescPath: "/rootDesc.xml?dev=1"},
				{Port: 1900, Kind: ward.SSDP}}},
		{Name: "evil-away", Addr: a(13), Hostile: true,
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "nginx", Title: "x"},
				{Port: 1900, Kind: ward.SSDP, Location: "http://" + b.Addr(4, 250).String() + ":49152/desc.xml"}}},
		{Name: "evil-neighbour", Addr: a(14), Hostile: true,
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "nginx", Title: "y"},
				{Port: 1900, Kind: ward.SSDP, Location: "http://" + b.Addr(3, 11).String() + ":49152/upnp/desc.xml"}}},
		{Name: "evil-name", Addr: a(15), Hostile: true,
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "nginx", Title: "z"},
				{Port: 1900, Kind: ward.SSDP, Location: "http://localhost:49152/desc.xml"}}},
		// Names its own printer port: in scope, the answering host, and
		// still never touched.
		{Name: "evil-printer", Addr: a(16), Hostile: true,
			Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "nginx", Title: "p"},
				{Port: 9100, Kind: ward.HTTP, Banner: "printer", DescPath: "/desc.xml"},
				{Port: 1900, Kind: ward.SSDP}}},
		// Outside the swept segment: what a hostile LOCATION names.
		{Name: "bystander", Addr: b.Addr(4, 250), Manufacturer: "X", Model: "Y",
			Services: []ward.Service{{Port: 49152, Kind: ward.HTTP, Banner: "bystander", DescPath: "/desc.xml"}}},
	}
	// Shift the description ports by the offset through the LOCATIONs
	// the ward builds itself (hostile ones name ports verbatim).
	return ward.Config{Devices: devs, PortOffset: offset}, devs
}

// TestIdentityWard is issue 11's ward test: serial, model and firmware are
// read for each device through SSDP and SNMP; a unit recorded in another
// room comes out moved here, matched by serial; nothing is sent to an
// address a LOCATION names unless it is the answering host, in scope.
func TestIdentityWard(t *testing.T) {
	offset := 0
	if os.Geteuid() != 0 {
		offset = 10000
	}
	var devs []ward.Device
	w, err := ward.StartFree(context.Background(), func(b ward.Base) ward.Config {
		var cfg ward.Config
		cfg, devs = identityWard(b, offset)
		return cfg
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := w.Base()
	snmpAddr := b.Addr(3, 20)
	agent, err := ward.StartSNMPD(context.Background(), ward.SNMPD{Addr: snmpAddr, Port: 161 + offset, Community: "ward-ro",
		SysDescr: "Getinge SERVO-u ventilator", SysObjectID: ".1.3.6.1.4.1.8072.3.2.10", SysName: "servo-u-3",
		Entities: []ward.Entity{{Index: 1, Class: 3, Serial: "SU-44177", Model: "SERVO-u", Firmware: "4.4.1", Mfg: "Getinge"}},
		Dir:      t.TempDir()})
	if errors.Is(err, ward.ErrNoSNMPD) && os.Getenv("CI") == "" {
		t.Skip("snmpd is not installed (apt-get install snmpd): the identity ward needs a real agent")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()

	seg := netip.PrefixFrom(b.Addr(3, 0), 27)
	var plog bytes.Buffer
	var mu sync.Mutex
	var warnings []string
	s, err := ip.New(ip.Config{Nets: []netip.Prefix{seg}, Profile: ip.Fast, PortOffset: offset, NoICMP: true,
		Ports:        []int{22, 23, 80, 443, 8080},
		SNMPSegments: []ip.SNMPSegment{{Prefix: seg, Auth: probeAuth("ward-ro")}},
		PacketLog:    &lockedBuf{b: &plog, mu: &mu},
		Logf: func(f string, a ...any) {
			mu.Lock()
			warnings = append(warnings, f)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := make(chan scan.Observation, 64)
	errc := make(chan error, 1)
	go func() { errc <- s.Sweep(ctx, out); close(out) }()
	byIP := map[netip.Addr]scan.Observation{}
	var obs []scan.Observation
	for o := range out {
		byIP[o.IP] = o
		obs = append(obs, o)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	// What each device said about itself.
	want := map[netip.Addr]scan.Hints{
		devs[0].Addr: {Manufacturer: "Mindray", Model: "BeneVision N17", Serial: "MRN17-CX09911", Firmware: "04.02.00", SerialSource: "upnp"},
		devs[1].Addr: {Manufacturer: "B. Braun", Model: "SpaceStation", Serial: "BBSS-00871299", Firmware: "L2.0.3", SerialSource: "upnp"},
		snmpAddr:     {Manufacturer: "Getinge", Model: "SERVO-u", Serial: "SU-44177", Firmware: "4.4.1", Software: "Linux", SerialSource: "snmp"}, // Software: Recog on net-snmp's sysObjectID
	}
	for a, h := range want {
		if got := byIP[a].Hints; got != h {
			t.Errorf("%v hints = %+v, want %+v", a, got, h)
		}
	}
	// Hostile LOCATIONs are recorded and refused.
	for _, d := range devs[2:6] {
		o := byIP[d.Addr]
		refused := ""
		for _, fp := range o.Fingerprints {
			if fp.Kind == "ssdp" {
				refused = fp.Fields["location_refused"]
			}
			if fp.Kind == "upnp" {
				t.Errorf("%s: a description was fetched: %v", d.Name, fp.Fields)
			}
		}
		if refused == "" {
			t.Errorf("%s: hostile LOCATION not recorded as refused: %+v", d.Name, o.Fingerprints)
		}
	}
	// Zero connections to what the LOCATIONs name: the bystander saw
	// nothing, the neighbour's description port only its own fetch.
	if n := w.Stats(devs[5].Addr).Accepts[9100]; n != 0 {
		t.Errorf("printer port named by SSDP got %d connections", n)
	}
	if st := w.Stats(devs[6].Addr); st.Total() != 0 {
		t.Errorf("bystander outside the scope got %d connections", st.Total())
	}
	if n := w.Stats(devs[0].Addr).Accepts[49152]; n != 1 {
		t.Errorf("monitor's description port got %d connections, want 1 (its own SSDP answer only)", n)
	}
	for _, line := range strings.Split(strings.TrimSpace(plog.String()), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			t.Fatalf("packet log line %q", line)
		}
		if !seg.Contains(netip.MustParseAddr(f[1])) {
			t.Errorf("packet log: %q left the scope", line)
		}
	}
	for _, must := range []string{"\t" + b.Addr(3, 11).String() + "\t" + itoa(1900+offset) + "\tssdp-msearch", "\t" + b.Addr(3, 11).String() + "\t" + itoa(49152+offset) + "\thttp-get /upnp/desc.xml",
		"\t" + snmpAddr.String() + "\t" + itoa(161+offset) + "\tsnmp-get entPhysical"} {
		if !strings.Contains(plog.String(), must) {
			t.Errorf("packet log lacks %q", must)
		}
	}

	// The pump is recorded in another room: it comes out moved here,
	// matched by the serial it reported.
	here := store.Location{ID: 1, Key: "MAIN/3/3W-14"}
	pump := store.Device{ID: 7, AssetTag: "BB-0007", Serial: "BBSS-00871299", Manufacturer: "B. Braun", Model: "SpaceStation",
		LocationID: 2, LocationKey: "MAIN/3/3E-02", Status: store.StatusInService}
	vent := store.Device{ID: 8, AssetTag: "VT-0008", Serial: "su-44177", Manufacturer: "Getinge", Model: "Servo-u",
		LocationID: 1, LocationKey: here.Key, Status: store.StatusInService, IP: b.Addr(3, 29).String()}
	ib := reconcile.NewIndexBuilder(2)
	ib.AddDevice(&pump)
	ib.AddDevice(&vent)
	fs := reconcile.Reconcile(reconcile.Input{Room: here, Expected: []store.Device{vent}, Index: ib.Build(),
		Devices: map[int64]*store.Device{7: &pump, 8: &vent}, Observations: obs,
		Sweeps: reconcile.Sweeps{IP: true, Nets: []netip.Prefix{seg}}, Now: time.Now()})
	got := map[string]reconcile.Finding{}
	for _, f := range fs {
		if f.Device != nil {
			got[f.Device.AssetTag] = f
		}
	}
	if f := got["BB-0007"]; f.Kind != reconcile.MovedHere || f.Match == nil || f.Match.By != store.IdentSerial {
		t.Errorf("pump: %s %+v, want moved here by serial", f.Kind, f.Match)
	}
	if f := got["VT-0008"]; f.Kind != reconcile.Verified || f.Match == nil || f.Match.By != store.IdentSerial {
		t.Errorf("ventilator: %s %+v, want verified by its SNMP serial (recorded IP differs)", f.Kind, f.Match)
	}
}

type lockedBuf struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func itoa(n int) string { return strconv.Itoa(n) }

func probeAuth(community string) probe.SNMPAuth { return probe.SNMPAuth{Community: community} }
