package ip

import (
	"context"
	"maps"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ward"
)

// BenchmarkWardVsNmap sweeps the default simulated ward (40 devices on
// one /24 of a free loopback base, see ward.StartFree) with nmap (-sT -Pn -n -T4, the same ports), the fast
// profile and the safe profile, one after the other in each iteration.
// fast must find the same hosts and open ports as nmap, in no more time;
// safe must cover the /24 in under 15 s. Reported: seconds for each, and
// the ratios fast/nmap and safe/15s.
//
//	go test -run '^$' -bench WardVsNmap -benchtime 3x ./scan/ip
func BenchmarkWardVsNmap(b *testing.B) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		b.Skip("nmap is not installed (apt-get install nmap)")
	}
	w := startWard(b, ward.DefaultOn)
	var ports []string
	for _, p := range DefaultPorts {
		ports = append(ports, strconv.Itoa(p+w.PortOffset()))
	}
	var nmapT, fastT, safeT time.Duration
	for i := 0; b.Loop(); i++ {
		// Alternate who goes first, so that neither always meets a
		// freshly warmed ward.
		var want, fast map[netip.Addr][]int
		runNmap := func() {
			start := time.Now()
			out, err := exec.Command(nmap, "-sT", "-Pn", "-n", "-T4", "-p", strings.Join(ports, ","), "-oG", "-", w.Base().Net(0).String()).Output()
			nmapT += time.Since(start)
			if err != nil {
				b.Fatalf("nmap: %v", err)
			}
			want = parseGrepable(string(out), w.PortOffset())
		}
		runFast := func() {
			start := time.Now()
			fast = benchSweep(b, w, Fast)
			fastT += time.Since(start)
		}
		if i%2 == 0 {
			runNmap()
			runFast()
		} else {
			runFast()
			runNmap()
		}

		start := time.Now()
		safe := benchSweep(b, w, Safe)
		safeT += time.Since(start)

		b.Logf("iter %d: nmap %v fast %v safe %v", i, nmapT, fastT, safeT)
		if !maps.EqualFunc(fast, want, slices.Equal) {
			b.Errorf("fast found %v\nnmap found %v", fast, want)
		}
		if !maps.EqualFunc(safe, want, slices.Equal) {
			b.Errorf("safe found %v\nnmap found %v", safe, want)
		}
		if len(want) != len(w.Devices()) {
			b.Errorf("nmap found %d hosts, the ward has %d", len(want), len(w.Devices()))
		}
	}
	n := float64(b.N)
	b.ReportMetric(nmapT.Seconds()/n, "nmap-s")
	b.ReportMetric(fastT.Seconds()/n, "fast-s")
	b.ReportMetric(safeT.Seconds()/n, "safe-s")
	b.ReportMetric(fastT.Seconds()/nmapT.Seconds(), "fast/nmap")
	b.ReportMetric(safeT.Seconds()/n/15, "safe/15s")
}

func benchSweep(b *testing.B, w *ward.Ward, p Profile) map[netip.Addr][]int {
	s, err := New(Config{Nets: []netip.Prefix{w.Base().Net(0)}, Profile: p, PortOffset: w.PortOffset()})
	if err != nil {
		b.Fatal(err)
	}
	out := make(chan scan.Observation, 256)
	if err := s.Sweep(context.Background(), out); err != nil {
		b.Fatal(err)
	}
	close(out)
	got := map[netip.Addr][]int{}
	for o := range out {
		if len(o.Ports) > 0 {
			got[o.IP] = o.Ports
		}
	}
	return got
}

var grepablePort = regexp.MustCompile(`(\d+)/open/tcp`)

// parseGrepable reads nmap -oG output: the hosts with open ports.
func parseGrepable(s string, offset int) map[netip.Addr][]int {
	got := map[netip.Addr][]int{}
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "Host: ") || !strings.Contains(line, "Ports: ") {
			continue
		}
		a, err := netip.ParseAddr(strings.Fields(line)[1])
		if err != nil {
			continue
		}
		for _, m := range grepablePort.FindAllStringSubmatch(line, -1) {
			p, _ := strconv.Atoi(m[1])
			got[a] = append(got[a], p-offset)
		}
		slices.Sort(got[a])
	}
	return got
}
