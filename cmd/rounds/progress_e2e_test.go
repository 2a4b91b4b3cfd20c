package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

var testBin struct {
	once gosync.Once
	path string
	err  error
	out  []byte
}

// binary builds the real rounds binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	testBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "rounds-bin-")
		if err != nil {
			testBin.err = err
			return
		}
		testBin.path = filepath.Join(dir, "rounds")
		args := []string{"build", "-o", testBin.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		testBin.out, testBin.err = exec.Command("go", append(args, ".")...).CombinedOutput()
	})
	if testBin.err != nil {
		t.Fatalf("go build: %v\n%s", testBin.err, testBin.out)
	}
	return testBin.path
}

// importRows is how many rows the progress test imports: 10,000 by
// default (a few seconds), 3,000 under the race detector (which slows the
// import several times), 1,000,000 with ROUNDS_TEST_1M=1 (minutes).
func importRows() int {
	switch {
	case os.Getenv("ROUNDS_TEST_1M") != "":
		return 1_000_000
	case raceEnabled:
		return 3_000
	}
	return 10_000
}

// TestProgressInTmux imports generated rows on a real terminal (tmux) and
// through a pipe: a bar with counts and rate on the terminal, nothing in
// the pipe, JSON lines with --json; ctrl+c in the middle of an import
// exits 130 and leaves no half batch behind.
func TestProgressInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	bin := binary(t)
	tmp := t.TempDir()
	rows := importRows()
	gen := filepath.Join(tmp, "gen")
	if out, err := exec.Command(bin, "--db", filepath.Join(tmp, "gen.db"), "generate", "--devices", strconv.Itoa(rows), "--out", gen).CombinedOutput(); err != nil {
		t.Fatalf("generate: %v %s", err, out)
	}
	devices := filepath.Join(gen, "devices.csv")
	env := []string{"env", "TERM=xterm-256color", "XDG_STATE_HOME=" + filepath.Join(tmp, "state"), "ROUNDS_CONFIG=" + filepath.Join(tmp, "none.toml")}
	var s *tmuxSession
	step := 0
	// Each step runs on its own private tmux server.
	start := func(cmdline string) {
		t.Helper()
		step++
		s = &tmuxSession{t: t, socket: fmt.Sprintf("rounds-progress-%d-%d", os.Getpid(), step)}
		srv := s
		t.Cleanup(func() { srv.tmux("kill-server") })
		if out, err := s.tmux(append(append([]string{"new-session", "-d", "-s", "e2e", "-x", "120", "-y", "20"}, env...),
			"sh", "-c", cmdline)...); err != nil {
			t.Fatalf("tmux: %v %s", err, out)
		}
	}
	waitExit := func(file string, timeout time.Duration) int {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			if b, err := os.ReadFile(file); err == nil && len(bytes.TrimSpace(b)) > 0 {
				n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				return n
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no exit after %v; screen:\n%s", timeout, s.screen())
		return -1
	}
	timeout := 2 * time.Minute
	if rows > 100_000 {
		timeout = 30 * time.Minute
	}

	// On a terminal: the bar, the count and the rate, then the summary.
	exit1 := filepath.Join(tmp, "exit1")
	start(fmt.Sprintf("%s --db %s import %s; echo $? > %s; sleep 120", bin, filepath.Join(tmp, "tty.db"), devices, exit1))
	s.waitFor(30*time.Second, "import devices.csv [", "rows/s")
	_, statErr := os.Stat(exit1)
	t.Logf("bar seen while importing: %v", statErr != nil)
	if code := waitExit(exit1, timeout); code != 0 {
		t.Fatalf("import exit %d:\n%s", code, s.screen())
	}
	total := groupDigits(int64(rows))
	s.waitFor(5*time.Second, "100% "+total+" rows", fmt.Sprintf("devices.csv: %d rows of devices", rows))

	// In a pipe: the summary only, no bar, even with stderr on the terminal.
	exit2 := filepath.Join(tmp, "exit2")
	start(fmt.Sprintf("%s --db %s import %s 2>&1 | cat; echo $? > %s; sleep 120", bin, filepath.Join(tmp, "pipe.db"), devices, exit2))
	if code := waitExit(exit2, timeout); code != 0 {
		t.Fatalf("import exit %d:\n%s", code, s.screen())
	}
	s.waitFor(5*time.Second, fmt.Sprintf("devices.csv: %d rows of devices", rows))
	if sc := s.screen(); strings.Contains(sc, "rows/s") || strings.Contains(sc, "█") {
		t.Errorf("progress drawn into a pipe:\n%s", sc)
	}

	// ctrl+c during an import: exit 130, "interrupted".
	exit3 := filepath.Join(tmp, "exit3")
	// The shell traps INT (and survives it) so that it can write the
	// exit code; its child starts with the default disposition.
	start(fmt.Sprintf("trap 'true' INT; %s --db %s import %s; echo $? > %s; sleep 120", bin, filepath.Join(tmp, "int.db"), devices, exit3))
	s.waitFor(30*time.Second, "rows/s")
	s.keys("C-c")
	code := waitExit(exit3, timeout)
	if sc := s.screen(); code == 0 && strings.Contains(sc, "rows of devices") {
		t.Logf("the import finished before ctrl+c arrived; not checking 130")
	} else if code != exitInterrupted || !strings.Contains(sc, "rounds: interrupted") {
		t.Errorf("ctrl+c: exit %d, want %d:\n%s", code, exitInterrupted, sc)
	}
}

// TestProgressJSON: --json progress is JSON lines on stderr, stdout keeps
// the one result object; --quiet prints none.
func TestProgressJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	tmp := t.TempDir()
	gen := filepath.Join(tmp, "gen")
	if out, err := exec.Command(bin, "--db", filepath.Join(tmp, "gen.db"), "generate", "--devices", "3000", "--out", gen).CombinedOutput(); err != nil {
		t.Fatalf("generate: %v %s", err, out)
	}
	runBin := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(tmp, "state"), "ROUNDS_CONFIG="+filepath.Join(tmp, "none.toml"))
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return out.String(), errb.String(), code
	}
	out, errs, code := runBin("--db", filepath.Join(tmp, "a.db"), "import", "--json", filepath.Join(gen, "devices.csv"))
	var res struct{ Rows int }
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Rows != 3000 {
		t.Fatalf("import --json: %d %q %q", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	var last progressEvent
	for _, l := range lines {
		if err := json.Unmarshal([]byte(l), &last); err != nil || last.Progress != "import devices.csv" || last.Unit != "rows" {
			t.Fatalf("stderr line %q: %v", l, err)
		}
	}
	if len(lines) < 2 || !last.Final || last.Done != 3000 || last.Fraction != 1 {
		t.Errorf("%d progress lines, last %+v", len(lines), last)
	}
	_, errs, code = runBin("--db", filepath.Join(tmp, "b.db"), "--quiet", "import", "--json", filepath.Join(gen, "devices.csv"))
	if code != 0 || errs != "" {
		t.Errorf("--quiet: %d %q", code, errs)
	}
	// The log file recorded the imports, 0600, under XDG_STATE_HOME.
	fi, err := os.Stat(filepath.Join(tmp, "state", "rounds", "rounds.log"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file: %v %v", fi, err)
	}
	b, _ := os.ReadFile(filepath.Join(tmp, "state", "rounds", "rounds.log"))
	if strings.Count(string(b), "msg=import") != 2 {
		t.Errorf("log:\n%s", b)
	}
}
