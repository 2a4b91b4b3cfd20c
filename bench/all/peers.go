package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/scan/ble"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/btsnoop"
)

// bench runs one benchmark of a package's test binary in its own process
// and returns its metrics (unit -> value) and the process figures.
func (c *config) bench(pkg, name, benchtime string, env ...string) (map[string]float64, result, error) {
	bin, err := c.build(strings.ReplaceAll(pkg, "/", "_")+".test", "test", "-c", "./"+pkg)
	if err != nil {
		return nil, result{}, err
	}
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", name, "-test.benchtime", benchtime)
	cmd.Dir = pkg // testdata is relative to the package
	cmd.Env = append(os.Environ(), env...)
	r, err := measureOut(cmd)
	if err != nil {
		return nil, r, err
	}
	m := map[string]float64{}
	for _, line := range strings.Split(r.out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
	}
	if len(m) == 0 {
		return nil, r, fmt.Errorf("%s %s: no benchmark line in %q", pkg, name, tail(r.out))
	}
	return m, r, nil
}

// bleRows replays the benchmark ward (2,000 RTLS tags at 10 Hz with
// rotating addresses and a room's devices, 2 s) through the decoder and
// room aggregation, in process, and through btmon -r and tshark -r.
func bleRows(c *config, t *table) error {
	devs := append(blesim.Ward(2000, time.Second/10, 15*time.Minute), blesim.Room(15*time.Minute)...)
	var buf bytes.Buffer
	advs, err := blesim.Write(&buf, blesim.Capture{Start: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), Duration: 2 * time.Second, Datalink: btsnoop.Monitor, Seed: 9}, devs)
	if err != nil {
		return err
	}
	path := filepath.Join(c.dir, "ward.btsnoop")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return err
	}
	replay := func() (time.Duration, int, error) {
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		rd, err := btsnoop.NewReader(f)
		if err != nil {
			return 0, 0, err
		}
		var d ble.Decoder
		room := ble.NewRoom(ble.RoomConfig{})
		var cur time.Time
		add := func(r *ble.Report) { room.Add(cur, r) }
		for {
			rec, err := rd.Next()
			if err != nil {
				break
			}
			if ev, ok := rec.Event(rd.Datalink()); ok {
				cur = rec.Time()
				d.Event(ev, add)
			}
		}
		n := len(room.Snapshot(cur))
		return time.Since(start), n, nil
	}
	var best time.Duration
	var seen int
	for range 3 {
		d, n, err := replay()
		if err != nil {
			return err
		}
		if best == 0 || d < best {
			best, seen = d, n
		}
	}
	ours := fmt.Sprintf("%s (%d adv, %d seen)", secs(best), advs, seen)
	for _, peer := range [][]string{{"btmon", "-r"}, {"tshark", "-n", "-r"}} {
		if _, err := exec.LookPath(peer[0]); err != nil {
			t.add("BLE replay vs "+peer[0], ours, "not installed", "", "", true)
			continue
		}
		r, err := measure(exec.Command(peer[0], append(peer[1:], path)...))
		if err != nil {
			return err
		}
		t.add("BLE replay vs "+peer[0]+" -r", ours, secs(r.wall), fmt.Sprintf("%.3f×", best.Seconds()/r.wall.Seconds()), "<1× (was 0.003×)", best < r.wall)
	}
	return nil
}

// sweepRows: the fast sweep vs nmap -sT on the loopback ward
// 127.77.0.0/24 (scan/ip's BenchmarkWardVsNmap; never another address).
func sweepRows(c *config, t *table) error {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.add("fast sweep vs nmap -sT (loopback ward)", "", "nmap not installed", "", "", true)
		return nil
	}
	m, _, err := c.bench("scan/ip", "BenchmarkWardVsNmap$", "3x")
	if err != nil {
		return err
	}
	t.add("fast sweep vs nmap -sT, loopback ward 127.77.0.0/24",
		fmt.Sprintf("%.2f s", m["fast-s"]), fmt.Sprintf("%.2f s", m["nmap-s"]),
		fmt.Sprintf("%.2f×", m["fast/nmap"]), "≤1.03×", m["fast/nmap"] <= 1.03)
	return nil
}

// syncRows: push and pull against the fakes at 20 ms per request. The
// fake runs in a process of its own; the RSS is the client's peak
// (connector, engine, store) as the benchmark reports it.
func syncRows(c *config, t *table) error {
	type row struct {
		name, bench, goal string
		env               []string
		ok                func(m map[string]float64) bool
	}
	rss := func(m map[string]float64) bool { return m["peak-rss-MB"] > 0 && m["peak-rss-MB"] < 100 }
	rows := []row{
		{"ServiceNow push 10k changes", "BenchmarkServiceNowPush10k$", "≤70 requests", nil, func(m map[string]float64) bool { return m["requests"] <= 70 }},
		{"ServiceNow pull 100k records", "BenchmarkServiceNowPull100k$", "RSS<100MB", nil, rss},
		{"Snipe-IT push 1k changes", "BenchmarkSnipeITPush1k$", "1 PATCH/change + 2 listings (was 2 requests/change)", nil,
			func(m map[string]float64) bool { return m["requests"] <= 1002 }},
		{"Snipe-IT pull 100k records", "BenchmarkSnipeITPull100k$", "RSS<100MB", nil, rss},
	}
	if !c.quick {
		one := []string{"ROUNDS_BENCH_PULL=1000000"}
		rows = append(rows,
			row{"ServiceNow pull 1M records", "BenchmarkServiceNowPull100k$", "RSS<100MB", one, rss},
			row{"Snipe-IT pull 1M records", "BenchmarkSnipeITPull100k$", "RSS<100MB", one, rss})
	}
	for _, b := range rows {
		m, _, err := c.bench("sync", b.bench, "1x", b.env...)
		if err != nil {
			return err
		}
		t.add(b.name+" (fake, 20 ms/request)",
			fmt.Sprintf("%.0f requests, %.1f s wall, %.1f s CPU, %.0f MB (client)", m["requests"], m["wall-s"], m["cpu-s"], m["peak-rss-MB"]),
			"", "", b.goal, b.ok(m))
	}
	return nil
}

// reconcileRows: a visit's store-backed reconcile (100k-device store).
func reconcileRows(c *config, t *table) error {
	for _, n := range []int{20, 1000} {
		m, _, err := c.bench("round", fmt.Sprintf("BenchmarkStoreBackedReconcile/observations=%d$", n), "20x")
		if err != nil {
			return err
		}
		t.add(fmt.Sprintf("store-backed reconcile, %d observations (100k store)", n), secs(time.Duration(m["ns/op"])), "", "", "", true)
	}
	if !c.quick {
		m, _, err := c.bench("reconcile", "BenchmarkReconcile1000Observations$", "100x")
		if err != nil {
			return err
		}
		t.add("reconcile 1k observations, 1M-device index", fmt.Sprintf("%s wall, %.2f ms CPU", secs(time.Duration(m["ns/op"])), m["cpu-ms/op"]),
			"", "", "≤3.1 ms", m["ns/op"] <= 3.1e6)
	}
	return nil
}

// tuiRows: the views a technician waits for.
func tuiRows(c *config, t *table) error {
	rows := []struct {
		name, bench, goal string
		limit             float64
	}{
		{"TUI findings view, 300 findings, 80x24", "BenchmarkFindingsView/80x24$", "≤0.21 ms", 0.21e6},
		{"TUI findings view, 300 findings, 200x60", "BenchmarkFindingsView/200x60$", "", 0},
		{"TUI sweep view", "BenchmarkSweepView$", "", 0},
	}
	if !c.quick {
		rows = append(rows, struct {
			name, bench, goal string
			limit             float64
		}{"TUI first frame, 1M-device DB", "BenchmarkFirstFrame$", "≤1.8 ms", 1.8e6})
	}
	for _, b := range rows {
		m, _, err := c.bench("tui", b.bench, "1000x", "ROUNDS_BENCH_DB="+filepath.Join(c.dir, "tui-1M.db"))
		if err != nil {
			return err
		}
		t.add(b.name, secs(time.Duration(m["ns/op"])), "", "", b.goal, b.limit == 0 || m["ns/op"] <= b.limit)
	}
	return nil
}
