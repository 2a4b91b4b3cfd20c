package ward_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/scan/probe"
	"github.com/biomed-rounds/rounds/scan/ward"
)

func TestDefault(t *testing.T) {
	b := ward.Current()
	devs := ward.DefaultOn(b).Devices
	if len(devs) != 40 {
		t.Errorf("Default has %d devices, want 40", len(devs))
	}
	seen := map[netip.Addr]bool{}
	for _, d := range devs {
		if !b.Net(0).Contains(d.Addr) || seen[d.Addr] || d.Hostile || d.Manufacturer == "" || d.Model == "" || len(d.Services) == 0 {
			t.Errorf("device %s at %v: address reused or out of %v, or identity missing", d.Name, d.Addr, b.Net(0))
		}
		seen[d.Addr] = true
	}
	for _, d := range ward.HostileOn(b) {
		if !d.Hostile || !b.Net(0).Contains(d.Addr) || seen[d.Addr] {
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
	var cfg ward.Config
	w, err := ward.StartFree(context.Background(), func(b ward.Base) ward.Config {
		cfg = ward.Config{Devices: []ward.Device{
			{Name: "ct", Addr: b.Addr(9, 1), Services: []ward.Service{
				{Port: 104, Kind: ward.DICOM, ImplementationClassUID: "1.3.12.2.1107.5", ImplementationVersion: "CT_1"},
				{Port: 80, Kind: ward.Tarpit}}},
		}}
		if os.Geteuid() != 0 {
			cfg.PortOffset = 20000
		}
		return cfg
	})
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
	// The kernel completes a connect before the ward's accept loop takes
	// it: wait until the ward holds both, so that the DICOM connection is
	// the third open at once (under load the second tarpit accept came
	// after the whole DICOM association, and MaxConcurrent read 2).
	for deadline := time.Now().Add(2 * time.Second); w.Stats(addr).Accepts[80] < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
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
	if n := w.Stats(w.Base().Addr(9, 2)).Total(); n != 0 {
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

// TestTwoWardsConcurrently simulates two test suites on one machine: two
// default wards (the same devices, the same real ports) started at once
// in one process. Both must come up, on different bases, and both serve.
func TestTwoWardsConcurrently(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	offset := 0
	if os.Geteuid() != 0 {
		offset = 21000
	}
	build := func(b ward.Base) ward.Config {
		cfg := ward.DefaultOn(b)
		cfg.PortOffset = offset
		return cfg
	}
	var ws [2]*ward.Ward
	var errs [2]error
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() { ws[i], errs[i] = ward.StartFree(context.Background(), build) })
	}
	wg.Wait()
	for i, w := range ws {
		if errs[i] != nil {
			t.Fatalf("ward %d: %v", i, errs[i])
		}
		defer w.Close()
	}
	if ws[0].Base() == ws[1].Base() {
		t.Fatalf("both wards on %v", ws[0].Base())
	}
	for _, w := range ws {
		b := w.Base()
		if o := b.Octet(); o < 100 || o > 250 || o == 77 {
			t.Errorf("base %v outside 127.100-250", b)
		}
		for _, d := range w.Devices() {
			if !b.Net(0).Contains(d.Addr) {
				t.Errorf("device %s at %v, outside its ward's %v", d.Name, d.Addr, b.Net(0))
			}
		}
		// pump-1's web UI answers on its ward's address.
		c, err := net.DialTimeout("tcp", net.JoinHostPort(b.Addr(0, 11).String(), strconv.Itoa(80+offset)), 2*time.Second)
		if err != nil {
			t.Fatalf("ward on %v: %v", b, err)
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
		reply, _ := io.ReadAll(c)
		c.Close()
		if !strings.Contains(string(reply), "Alaris") {
			t.Errorf("ward on %v: pump-1 answered %q", b, reply)
		}
	}
}

// TestStartFreeMovesOffBusyBase holds one address of the process-wide
// base, as another test process would; StartFree must land elsewhere and
// move the process-wide base, and Start on the held address must fail.
func TestStartFreeMovesOffBusyBase(t *testing.T) {
	b0 := ward.Current()
	held, err := net.Listen("tcp4", net.JoinHostPort(b0.Addr(5, 1).String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port
	build := func(b ward.Base) ward.Config {
		return ward.Config{Devices: []ward.Device{{Name: "x", Addr: b.Addr(5, 1), Services: []ward.Service{{Port: port, Kind: ward.Silent}}}}}
	}
	if _, err := ward.Start(context.Background(), build(b0)); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start on a held address: %v, want EADDRINUSE", err)
	}
	w, err := ward.StartFree(context.Background(), build)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Base() == b0 || ward.Current() == b0 {
		t.Errorf("ward on %v, process base %v: still on the busy %v", w.Base(), ward.Current(), b0)
	}
}
