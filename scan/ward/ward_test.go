package ward_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/scan/probe"
	"github.com/biomed-rounds/rounds/scan/ward"
)

func TestDefault(t *testing.T) {
	devs := ward.Default().Devices
	if len(devs) != 40 {
		t.Errorf("Default has %d devices, want 40", len(devs))
	}
	seen := map[netip.Addr]bool{}
	for _, d := range devs {
		if !ward.Prefix.Contains(d.Addr) || seen[d.Addr] || d.Hostile || d.Manufacturer == "" || d.Model == "" || len(d.Services) == 0 {
			t.Errorf("device %s at %v: address reused or out of %v, or identity missing", d.Name, d.Addr, ward.Prefix)
		}
		seen[d.Addr] = true
	}
	for _, d := range ward.Hostile() {
		if !d.Hostile || !ward.Prefix.Contains(d.Addr) || seen[d.Addr] {
			t.Errorf("hostile device %q at %v", d.Name, d.Addr)
		}
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	_, err := ward.Start(context.Background(), ward.Config{Devices: []ward.Device{{Name: "x", Addr: netip.MustParseAddr("10.0.0.1")}}})
	if err == nil {
		t.Fatal("a device outside 127.0.0.0/8 was started")
	}
}

// TestCountsAndClose checks what the ward counts, and that Close ends
// every connection and goroutine, tarpits included.
func TestCountsAndClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := ward.Config{Devices: []ward.Device{
		{Name: "ct", Addr: netip.MustParseAddr("127.77.9.1"), Services: []ward.Service{
			{Port: 104, Kind: ward.DICOM, ImplementationClassUID: "1.3.12.2.1107.5", ImplementationVersion: "CT_1"},
			{Port: 80, Kind: ward.Tarpit}}},
	}}
	if os.Geteuid() != 0 {
		cfg.PortOffset = 20000
	}
	w, err := ward.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := cfg.Devices[0].Addr
	dial := func(port int) net.Conn {
		c, err := net.Dial("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(port+cfg.PortOffset)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Two tarpit connections at once, left open.
	t1, t2 := dial(80), dial(80)
	defer t1.Close()
	defer t2.Close()
	c := dial(104)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fp, err := probe.DICOM(ctx, c, "TEST", "ANY-SCP", nil)
	c.Close()
	if err != nil || fp.Fields["implementationVersionName"] != "CT_1" || fp.Fields["release"] != "ok" {
		t.Fatalf("DICOM: %v %q", err, fp.Fields)
	}
	// The kernel completes a connect before the ward's accept loop counts
	// it, so wait for the counts as well as the release.
	deadline := time.Now().Add(2 * time.Second)
	for (w.Stats(addr).Releases == 0 || w.Stats(addr).Total() < 3) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st := w.Stats(addr)
	if st.Accepts[80] != 2 || st.Accepts[104] != 1 || st.Total() != 3 || st.MaxConcurrent != 3 || st.Releases != 1 || len(st.AcceptTimes) != 3 {
		t.Errorf("stats %+v", st)
	}
	if n := w.Stats(netip.MustParseAddr("127.77.9.2")).Total(); n != 0 {
		t.Errorf("unknown address has %d accepts", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The tarpit's connections are closed by the ward.
	_ = t1.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadAll(t1); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("tarpit connection after Close: %v", err)
	}
}
