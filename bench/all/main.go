// Command all runs every peer comparison of the project on this machine
// in one run and prints a table: each row with the figure of rounds, the
// peer's, their ratio and the goal (issue 18).
//
//   - import of N devices (10k, 100k, 1M) vs the sqlite3 shell loading the
//     same CSV into the same schema, median of -runs interleaved runs,
//     wall and CPU time, peak RSS; the journalled import vs the baseline;
//   - cold start of `rounds devices --room KEY` on the largest database vs
//     the shell running the same query; the whole listing and a CSV export
//     vs the shell (time and peak RSS);
//   - BLE replay of a 2,000-tag ward capture vs btmon -r (and tshark -r if
//     installed);
//   - the fast IP sweep vs nmap -sT, on the loopback ward 127.77.0.0/24
//     only (package scan/ward);
//   - sync push and pull against the project's ServiceNow and Snipe-IT
//     fakes at 20 ms per request: requests, wall time, peak RSS;
//   - store-backed reconcile and the TUI's view benchmarks.
//
// Benchmarks that live in packages run as compiled test binaries, each
// in its own process so that its peak RSS is its own. Run from the
// repository root:
//
//	go run ./bench/all -quick           # 10k rows, one run, no 1M-database rows
//	go run ./bench/all                  # everything, 10k/100k/1M, 3 runs
//	go run ./bench/all -rows import,list -sizes 1000000 -runs 1
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
	"github.com/biomed-rounds/rounds/store/gen"
)

var allRows = []string{"import", "cold", "list", "ble", "sweep", "sync", "reconcile", "tui"}

type config struct {
	rows  map[string]bool
	sizes []int
	runs  int
	quick bool
	dir   string
	bins  map[string]string
}

func main() {
	rows := flag.String("rows", strings.Join(allRows, ","), "rows to run: "+strings.Join(allRows, ","))
	sizes := flag.String("sizes", "10000,100000,1000000", "inventory sizes for the import rows; the largest is used by cold and list")
	runs := flag.Int("runs", 3, "interleaved runs per import size (the median is shown)")
	quick := flag.Bool("quick", false, "sizes 10000, one run, skip rows that need a million-device database")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	child := flag.String("child", "", "internal: import FILE into DB (baseline|journal)")
	launch := flag.Bool("launch", false, "internal: run the command in the arguments and report its usage on fd 3")
	flag.Parse()
	if *launch {
		os.Exit(launchChild(flag.Args()))
	}
	if *child != "" {
		if err := childImport(*child, flag.Arg(0), flag.Arg(1)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	c := config{rows: map[string]bool{}, runs: max(1, *runs), quick: *quick, bins: map[string]string{}}
	for _, r := range strings.Split(*rows, ",") {
		if r = strings.TrimSpace(r); !slices.Contains(allRows, r) {
			fmt.Fprintf(os.Stderr, "all: unknown row %q (want %s)\n", r, strings.Join(allRows, ","))
			os.Exit(2)
		}
		c.rows[r] = true
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "all: bad size %q\n", s)
			os.Exit(2)
		}
		c.sizes = append(c.sizes, n)
	}
	if c.quick {
		c.sizes, c.runs = []int{10_000}, 1
	}
	slices.Sort(c.sizes)
	dir, err := os.MkdirTemp("", "rounds-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "all:", err)
		os.Exit(1)
	}
	c.dir = dir
	if *keep {
		fmt.Fprintln(os.Stderr, "files in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	t := &table{}
	if err := run(context.Background(), &c, t); err != nil {
		t.print(os.Stdout, &c)
		fmt.Fprintln(os.Stderr, "all:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	t.print(os.Stdout, &c)
}

func run(ctx context.Context, c *config, t *table) error {
	var bigDB string
	var bigN int
	if c.rows["import"] || c.rows["cold"] || c.rows["list"] {
		sizes := c.sizes
		if !c.rows["import"] {
			sizes = sizes[len(sizes)-1:] // only the database cold and list need
		}
		for _, n := range sizes {
			db, err := importRows(ctx, c, t, n, c.rows["import"])
			if err != nil {
				return fmt.Errorf("import %d: %w", n, err)
			}
			bigDB, bigN = db, n
		}
	}
	if c.rows["cold"] || c.rows["list"] {
		if err := listRows(c, t, bigDB, bigN); err != nil {
			return err
		}
	}
	if c.rows["ble"] {
		if err := bleRows(c, t); err != nil {
			return fmt.Errorf("ble: %w", err)
		}
	}
	if c.rows["sweep"] {
		if err := sweepRows(c, t); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	if c.rows["sync"] {
		if err := syncRows(c, t); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	if c.rows["reconcile"] {
		if err := reconcileRows(c, t); err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
	}
	if c.rows["tui"] {
		if err := tuiRows(c, t); err != nil {
			return fmt.Errorf("tui: %w", err)
		}
	}
	return nil
}

// result is one measured process.
type result struct {
	wall, cpu time.Duration
	rssMB     float64
	out       string
}

// measure runs cmd to the end, its output to /dev/null, and returns its
// wall and CPU time and peak resident set size (of the process and the
// children it waited for).
func measure(cmd *exec.Cmd) (result, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return result{}, err
	}
	defer null.Close()
	cmd.Stdout = null
	return measureOut(cmd)
}

// measureOut is measure keeping the output (benchmark lines to parse).
//
// The command runs under a launcher, this program re-executed small: on
// Linux a process's peak RSS starts at its parent's resident size when it
// forks (the copied address space is counted, and kept across exec), so
// every process forked from this one, grown by generating a million
// devices, reported this one's 159 MB as its own.
func measureOut(cmd *exec.Cmd) (result, error) {
	var errb, outb strings.Builder
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	if cmd.Stdout == nil {
		cmd.Stdout = &outb
	}
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return result{}, err
	}
	defer pr.Close()
	l := exec.Command(self, append([]string{"-launch", "--", cmd.Path}, cmd.Args[1:]...)...)
	l.Env, l.Dir, l.Stdin, l.Stdout, l.Stderr = cmd.Env, cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr
	l.ExtraFiles = []*os.File{pw}
	// Let the launcher shrink first: it starts as big as this process.
	debug.FreeOSMemory()
	err = l.Run()
	pw.Close()
	usage, _ := io.ReadAll(pr)
	if err != nil {
		return result{}, fmt.Errorf("%s: %v: %s", filepath.Base(cmd.Path), err, tail(errb.String()+outb.String()))
	}
	var wall, cpu, rssKiB int64
	if _, err := fmt.Sscan(string(usage), &wall, &cpu, &rssKiB); err != nil {
		return result{}, fmt.Errorf("%s: no usage from the launcher: %q", filepath.Base(cmd.Path), usage)
	}
	r := result{wall: time.Duration(wall), cpu: time.Duration(cpu), rssMB: float64(rssKiB) / 1024, out: outb.String()}
	if runtime.GOOS == "darwin" {
		r.rssMB = float64(rssKiB) / (1 << 20) // bytes there
	}
	return r, nil
}

// launchChild runs args as a child with this process's standard streams
// and writes "wall-ns cpu-ns maxrss" to file descriptor 3; it returns the
// child's exit code.
func launchChild(args []string) int {
	if len(args) == 0 {
		return 2
	}
	report := os.NewFile(3, "usage")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	t := time.Now()
	err := cmd.Run()
	wall := time.Since(t)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), ru.Utime.Nano()+ru.Stime.Nano(), ru.Maxrss)
	}
	report.Close()
	return cmd.ProcessState.ExitCode()
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// median of the wall, CPU and RSS figures, each taken separately.
func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		wall:  time.Duration(pick(func(r result) float64 { return float64(r.wall) })),
		cpu:   time.Duration(pick(func(r result) float64 { return float64(r.cpu) })),
		rssMB: pick(func(r result) float64 { return r.rssMB }),
	}
}

// build compiles a command or a package's test binary once.
func (c *config) build(name string, args ...string) (string, error) {
	if p, ok := c.bins[name]; ok {
		return p, nil
	}
	p := filepath.Join(c.dir, name)
	cmd := exec.Command("go", append(append([]string{}, args[0], "-o", p), args[1:]...)...)
	cmd.Stderr = os.Stderr
	if args[0] == "build" {
		// Commands are built as the release builds them (goreleaser.yaml):
		// static, trimmed. A cgo-linked binary starts slower (the dynamic
		// loader), which the cold-start row would count against rounds.
		// -s -w as the release: no symbol table or DWARF to map.
		cmd.Args = append(cmd.Args[:2], append([]string{"-trimpath", "-ldflags=-s -w"}, cmd.Args[2:]...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s (run from the repository root): %w", strings.Join(args, " "), err)
	}
	c.bins[name] = p
	return p, nil
}

// table collects the rows printed at the end.
type table struct {
	rows [][]string
}

func (t *table) add(name, rounds, peer, ratio, goal string, ok bool) {
	mark := "ok"
	if !ok {
		mark = "MISS"
	}
	if goal == "" {
		mark = ""
	}
	t.rows = append(t.rows, []string{name, rounds, peer, ratio, goal, mark})
	fmt.Fprintf(os.Stderr, "  %s: %s | %s | %s\n", name, rounds, peer, ratio)
}

func (t *table) print(w *os.File, c *config) {
	var la [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(b), "%f %f %f", &la[0], &la[1], &la[2])
	}
	fmt.Fprintf(w, "\nrounds benchmarks, %s, %d CPUs, load average %.1f %.1f %.1f at the end, %s/%s\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), la[0], la[1], la[2], runtime.GOOS, runtime.GOARCH)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ROW\tROUNDS\tPEER\tRATIO\tGOAL\t")
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func secs(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f ms", float64(d)/1e6)
}

func size(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// childImport is the measured rounds import, alone in its process so that
// its peak RSS is its own.
func childImport(mode, db, file string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = exchange.Import(ctx, st, bufio.NewReaderSize(f, 1<<20), exchange.Options{Name: filepath.Base(file), Baseline: mode == "baseline"})
	return err
}

// generate writes n generated devices as CSV.
func generate(path string, n int) (*gen.Generator, error) {
	g := gen.New(gen.Options{Seed: 1, Devices: n, Now: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)})
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	x := exchange.NewWriter(bw, exchange.CSV)
	if err := x.Devices(g.EachDevice); err != nil {
		return nil, err
	}
	if err := x.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return g, f.Close()
}
