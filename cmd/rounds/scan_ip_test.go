package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ward"
)

// TestScanIPRefusesScope checks that out-of-scope segments and bad options
// are usage errors. The command runs under an already-cancelled context,
// and every segment that is not itself the subject of a refusal is on
// loopback, so that even if a refusal regressed nothing would be sent:
// the sweep would stop before its first probe and the test would fail on
// the exit code.
func TestScanIPRefusesScope(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"scan", "--net", "8.8.8.0/24"},
		{"scan", "--net", "127.77.0.0/16"},
		{"scan", "--net", "224.0.0.0/24", "--force-scope"},
		{"scan", "--net", "not-a-net"},
		{"scan", "--net", "127.77.250.0/24", "--profile", "reckless"},
		{"scan", "--net", "127.77.250.0/24", "--exclude", "zz:zz"},
	} {
		var stdout, stderr strings.Builder
		code := run(ctx, append([]string{"--db", db}, args...), strings.NewReader(""), &stdout, &stderr)
		out, errs := stdout.String(), stderr.String()
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2", args, code, out, errs)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused scan created the database")
	}
}

// TestScanIPWard sweeps a small simulated ward through the CLI, with a
// device class excluded through the configuration and the inventory, an
// address excluded on the command line, and a packet log.
func TestScanIPWard(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the ward's ports below 1024 need root")
	}
	// The ward's addresses come from a free loopback base, so that
	// another test process on this machine never holds them.
	w, err := ward.StartFree(context.Background(), func(b ward.Base) ward.Config {
		addr := func(h byte) netip.Addr { return b.Addr(3, h) }
		return ward.Config{Devices: []ward.Device{
			{Name: "pump", Addr: addr(2), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "Pump/1", Title: "Pump"}}},
			{Name: "vent", Addr: addr(3), Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "Vent/1", Title: "Vent"}}},
			{Name: "ct", Addr: addr(4), Services: []ward.Service{{Port: 104, Kind: ward.DICOM, ImplementationClassUID: "1.3.12.2.1107.5", ImplementationVersion: "CT"}}},
			{Name: "cli-excluded", Addr: addr(5), Services: []ward.Service{{Port: 22, Kind: ward.SSH, Banner: "SSH-2.0-x"}}},
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	addr := func(h byte) netip.Addr { return w.Base().Addr(3, h) }

	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	inv := filepath.Join(dir, "inv.csv")
	os.WriteFile(inv, []byte(cliSample[:strings.Index(cliSample, "\n")+1]+
		"V-1,SN-V,Hamilton Medical,HAMILTON-C6,ventilator,MAIN,3,3W-12,,,"+addr(3).String()+",,,,,,,,,\n"), 0o600)
	if code, _, errs := runCLI(t, db, "import", inv); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	conf := filepath.Join(dir, "config.toml")
	os.WriteFile(conf, []byte("[scan]\nexclude_classes = [\"Ventilator\"]\nprofile = \"fast\"\n"), 0o600)
	plog := filepath.Join(dir, "packets.log")

	code, out, errs := runCLI(t, db, "--config", conf, "scan", "--net", netip.PrefixFrom(addr(0), 29).String(), "--exclude", addr(5).String(),
		"--packet-log", plog, "--json", "--stream")
	if code != 0 {
		t.Fatalf("scan: exit %d: %s", code, errs)
	}
	var seen []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var o scan.Observation
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("output %q: %v", sc.Text(), err)
		}
		seen = append(seen, o.IP.String())
		if o.IP == addr(4) && o.Hints.Manufacturer != "Siemens Healthineers" {
			t.Errorf("ct: hints %+v", o.Hints)
		}
	}
	slices.Sort(seen)
	if want := []string{addr(2).String(), addr(4).String()}; !slices.Equal(seen, want) {
		t.Errorf("seen %v, want %v", seen, want)
	}
	for _, a := range []netip.Addr{addr(3), addr(5)} {
		if n := w.Stats(a).Total(); n != 0 {
			t.Errorf("%v (excluded) received %d connections", a, n)
		}
	}
	fi, err := os.Stat(plog)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("packet log: %v, %v; want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(plog)
	if !strings.Contains(string(b), addr(4).String()+"\t104\tdicom-associate-rq") || strings.Contains(string(b), addr(3).String()+"\t") {
		t.Errorf("packet log:\n%s", b)
	}
}

func TestScanIPClassesNeedInventory(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "config.toml")
	os.WriteFile(conf, []byte("[scan]\nexclude_classes = [\"ventilator\"]\n"), 0o600)
	code, _, errs := runCLI(t, filepath.Join(dir, "none.db"), "--config", conf, "scan", "--net", "127.77.3.0/29")
	if code == 0 || !strings.Contains(errs, "exclude_classes") {
		t.Errorf("exit %d, %q: want a refusal naming exclude_classes", code, errs)
	}
}
