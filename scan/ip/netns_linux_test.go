package ip

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
)

// The namespace test builds its own small network, 198.51.100.0/24
// (TEST-NET-2), out of network namespaces: the scanner's namespace holds a
// bridge, and each target namespace a veth into it with a chosen MAC. The
// scanner runs inside its namespace too, so nothing but these namespaces
// is ever probed.

const nsEnvRole = "ROUNDS_NETNS_ROLE"

var nsTargets = []struct {
	ns    string
	mac   string
	addrs []string
}{
	{"t2", "00:09:fb:00:00:02", []string{"198.51.100.2", "198.51.100.4"}}, // Philips Patient Monitoring OUI
	{"t3", "00:1b:c5:07:4a:03", []string{"198.51.100.3"}},                 // an MA-S assignment (Dynasthetics)
}

func nsRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// listener is a helper process serving HTTP on port 80 of a target
// namespace's addresses and reporting each accepted connection.
type listener struct {
	cmd   *exec.Cmd
	stdin io.Closer
	mu    sync.Mutex
	seen  map[string]int
	ready chan struct{}
}

func (l *listener) count(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[addr]
}

func startListener(t *testing.T, ns string, addrs []string) *listener {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestNetnsHelper$")
	cmd.Env = append(os.Environ(), nsEnvRole+"=listen", "ROUNDS_NETNS_ADDRS="+strings.Join(addrs, ","))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &listener{cmd: cmd, stdin: stdin, seen: map[string]int{}, ready: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 1 && f[0] == "ready":
				close(l.ready)
			case len(f) == 2 && f[0] == "accept":
				l.mu.Lock()
				l.seen[f[1]]++
				l.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case <-l.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("listener did not start")
	}
	return l
}

// scanIn runs a sweep of 198.51.100.0/28 inside the scanner namespace and
// returns its observations and packet log.
func scanIn(t *testing.T, ns string, exclude []string) (map[string]scan.Observation, string) {
	t.Helper()
	logPath := t.TempDir() + "/packets.log"
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestNetnsHelper$")
	cmd.Env = append(os.Environ(), nsEnvRole+"=scan", "ROUNDS_NETNS_EXCLUDE="+strings.Join(exclude, ","), "ROUNDS_NETNS_LOG="+logPath)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scanner: %v\n%s", err, out)
	}
	obs := map[string]scan.Observation{}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var o scan.Observation
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("scanner output %q: %v", line, err)
		}
		obs[o.IP.String()] = o
	}
	plog, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	return obs, string(plog)
}

// TestNeighbourMAC checks the MAC path end to end: MACs come from the
// neighbour table with their vendors, ICMP echo finds a host with no open
// port, and MAC and OUI exclusions stop every connection, the MACs being
// learnt by ARP alone.
func TestNeighbourMAC(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 (ip) is not installed")
	}
	id := fmt.Sprintf("rounds%d", os.Getpid()%100000)
	nsS := id + "-s"
	if err := exec.Command("ip", "netns", "add", nsS).Run(); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", nsS).Run() })
	nsRun(t, "-n", nsS, "link", "set", "lo", "up")
	nsRun(t, "-n", nsS, "link", "add", "br0", "type", "bridge")
	nsRun(t, "-n", nsS, "addr", "add", "198.51.100.1/24", "dev", "br0")
	nsRun(t, "-n", nsS, "link", "set", "br0", "up")
	// Allow this process's group unprivileged ping sockets, in the
	// scanner's namespace only.
	if out, err := exec.Command("ip", "netns", "exec", nsS, "sh", "-c", "echo 0 0 > /proc/sys/net/ipv4/ping_group_range").CombinedOutput(); err != nil {
		t.Fatalf("ping_group_range: %v %s", err, out)
	}
	listeners := map[string]*listener{}
	for i, tg := range nsTargets {
		ns := id + "-" + tg.ns
		nsRun(t, "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		host, peer := fmt.Sprintf("rh%d", i), fmt.Sprintf("rp%d", i)
		nsRun(t, "link", "add", host, "netns", nsS, "type", "veth", "peer", "name", peer, "netns", ns)
		nsRun(t, "-n", nsS, "link", "set", host, "master", "br0", "up")
		nsRun(t, "-n", ns, "link", "set", peer, "address", tg.mac)
		for _, a := range tg.addrs {
			nsRun(t, "-n", ns, "addr", "add", a+"/24", "dev", peer)
		}
		nsRun(t, "-n", ns, "link", "set", peer, "up")
		nsRun(t, "-n", ns, "link", "set", "lo", "up")
		// Only the first address listens; the others answer RST and echo.
		l := startListener(t, ns, tg.addrs[:1])
		listeners[tg.addrs[0]] = l
	}

	obs, _ := scanIn(t, nsS, nil)
	want := map[string]struct {
		mac, vendor string
		ports       int
	}{
		"198.51.100.2": {"00:09:fb:00:00:02", "Philips Patient Monitoring", 1},
		"198.51.100.4": {"00:09:fb:00:00:02", "Philips Patient Monitoring", 0},
		"198.51.100.3": {"00:1b:c5:07:4a:03", "Dynasthetics", 1},
	}
	for a, w := range want {
		o, ok := obs[a]
		if !ok {
			t.Errorf("%s not found", a)
			continue
		}
		if o.MAC != w.mac || o.Vendor != w.vendor || len(o.Ports) != w.ports || !o.Alive {
			t.Errorf("%s: mac %q vendor %q ports %v alive %v, want %s %q %d ports", a, o.MAC, o.Vendor, o.Ports, o.Alive, w.mac, w.vendor, w.ports)
		}
	}
	if len(obs) != len(want) {
		t.Errorf("found %d hosts, want %d: %v", len(obs), len(want), obs)
	}
	before := map[string]int{}
	for a, l := range listeners {
		before[a] = l.count(a)
		if before[a] == 0 {
			t.Errorf("%s: the listener saw no connection", a)
		}
	}

	// Forget the MACs, then exclude them: the sweep must learn them by
	// ARP and send the hosts nothing.
	nsRun(t, "-n", nsS, "neigh", "flush", "all")
	obs, plog := scanIn(t, nsS, []string{"00-09-FB-00-00-02", "00:1b:c5:07:4a"})
	if len(obs) != 0 {
		t.Errorf("excluded hosts reported: %v", obs)
	}
	for a, l := range listeners {
		if n := l.count(a); n != before[a] {
			t.Errorf("%s (excluded by MAC) received %d connections", a, n-before[a])
		}
	}
	for _, line := range strings.Split(plog, "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 4 && f[3] != "arp-resolve" && (f[1] == "198.51.100.2" || f[1] == "198.51.100.3" || f[1] == "198.51.100.4") {
			t.Errorf("packet log: %s sent to an excluded host", line)
		}
	}
	if !strings.Contains(plog, "198.51.100.2\t0\tarp-resolve") {
		t.Errorf("packet log shows no ARP resolution:\n%s", plog)
	}
}

// TestNetnsHelper is the helper process of TestNeighbourMAC; it does
// nothing unless started by it.
func TestNetnsHelper(t *testing.T) {
	switch os.Getenv(nsEnvRole) {
	case "listen":
		helperListen(t)
	case "scan":
		helperScan(t)
	default:
		t.Skip("helper process for TestNeighbourMAC")
	}
}

func helperListen(t *testing.T) {
	var mu sync.Mutex
	for _, a := range strings.Split(os.Getenv("ROUNDS_NETNS_ADDRS"), ",") {
		ln, err := net.Listen("tcp4", a+":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Printf("accept %s\n", a)
				mu.Unlock()
				go func() {
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(2 * time.Second))
					buf := make([]byte, 4096)
					_, _ = c.Read(buf)
					_, _ = io.WriteString(c, "HTTP/1.0 200 OK\r\nServer: ns\r\n\r\n<title>ns</title>")
				}()
			}
		}()
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // run until the parent closes stdin
}

func helperScan(t *testing.T) {
	// Safety: sweep only from inside the test's own namespace, whose only
	// links are lo and the test bridge.
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Name != "lo" && i.Name != "br0" && !strings.HasPrefix(i.Name, "rh") {
			t.Fatalf("refusing to sweep: interface %s shows this is not the test namespace", i.Name)
		}
	}
	var ex Exclusions
	if e := os.Getenv("ROUNDS_NETNS_EXCLUDE"); e != "" {
		if err := ex.AddAll(strings.Split(e, ","), "test"); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(os.Getenv("ROUNDS_NETNS_LOG"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := New(Config{Nets: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/28")}, Profile: Fast,
		Ports: []int{80, 22}, Exclude: ex, PacketLog: f, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan scan.Observation, 64)
	if err := s.Sweep(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	enc := json.NewEncoder(os.Stdout)
	for o := range out {
		_ = enc.Encode(o)
	}
}
