package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/scan/ward"
)

var openPort = regexp.MustCompile(`(\d+)/open/tcp`)

// BenchmarkProcessVsNmap times whole processes on the default simulated
// ward (40 devices on one /24 of a free loopback base, see
// ward.StartFree; real ports, so it needs root): `rounds scan --net
// <that /24> --profile fast` (which also sends the
// SSDP M-SEARCH to every live host and reads Recog fingerprints) against
// `nmap -sT -Pn -n -T4` on the same hosts and ports, alternating who goes
// first. Reported: seconds each and the ratio rounds/nmap (issue 11 asks
// for at most 2).
//
//	go test -run '^$' -bench ProcessVsNmap -benchtime 3x ./cmd/rounds
func BenchmarkProcessVsNmap(b *testing.B) {
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		b.Skip("nmap is not installed (apt-get install nmap)")
	}
	if os.Geteuid() != 0 {
		b.Skip("the ward's real ports (below 1024) need root; the in-process comparison is scan/ip BenchmarkWardVsNmap")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "rounds")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	w, err := ward.StartFree(context.Background(), ward.DefaultOn)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	seg := w.Base().Net(0).String()
	var ports []string
	for _, p := range ip.DefaultPorts {
		ports = append(ports, strconv.Itoa(p))
	}
	env := append(os.Environ(), "ROUNDS_CONFIG="+filepath.Join(dir, "none.toml"), "ROUNDS_DB="+filepath.Join(dir, "none.db"))
	var roundsT, nmapT time.Duration
	for i := 0; b.Loop(); i++ {
		runRounds := func() {
			cmd := exec.Command(bin, "scan", "--net", seg, "--profile", "fast", "--json")
			cmd.Env = env
			start := time.Now()
			out, err := cmd.Output()
			roundsT += time.Since(start)
			if err != nil {
				b.Fatalf("rounds: %v", err)
			}
			hosts := 0
			sc := bufio.NewScanner(bytes.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var o scan.Observation
				if json.Unmarshal(sc.Bytes(), &o) == nil && len(o.Ports) > 0 {
					hosts++
				}
			}
			if hosts != len(w.Devices()) {
				b.Errorf("rounds found %d hosts with open ports, the ward has %d", hosts, len(w.Devices()))
			}
		}
		runNmap := func() {
			start := time.Now()
			out, err := exec.Command(nmap, "-sT", "-Pn", "-n", "-T4", "-p", strings.Join(ports, ","), "-oG", "-", seg).Output()
			nmapT += time.Since(start)
			if err != nil {
				b.Fatalf("nmap: %v", err)
			}
			n := 0
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, "Host: ") && openPort.MatchString(line) {
					n++
				}
			}
			if n != len(w.Devices()) {
				b.Errorf("nmap found %d hosts with open ports", n)
			}
		}
		if i%2 == 0 {
			runNmap()
			runRounds()
		} else {
			runRounds()
			runNmap()
		}
	}
	n := float64(b.N)
	b.ReportMetric(roundsT.Seconds()/n, "rounds-s")
	b.ReportMetric(nmapT.Seconds()/n, "nmap-s")
	b.ReportMetric(roundsT.Seconds()/nmapT.Seconds(), "rounds/nmap")
}
