package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/demo"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// tmuxSession drives a program in a detached tmux session on a private
// tmux server, as a technician at a 100×30 terminal would.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) screen() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "e2e")
	return out
}

// waitFor waits until the screen shows every one of texts.
func (s *tmuxSession) waitFor(timeout time.Duration, texts ...string) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sc := s.screen()
		ok := true
		for _, t := range texts {
			ok = ok && strings.Contains(sc, t)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited %v for %q; screen:\n%s", timeout, texts, sc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys sends tmux key names (Enter, Escape, C-u, ...).
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...); err != nil {
		s.t.Fatalf("send-keys %v: %v %s", keys, err, out)
	}
}

// scan types a label and its Enter in one write, as a USB barcode
// scanner does: a burst well under the scanner gap.
func (s *tmuxSession) scan(text string) {
	s.t.Helper()
	if out, err := s.tmux("send-keys", "-t", "e2e", "-l", text+"\r"); err != nil {
		s.t.Fatalf("send-keys %q: %v %s", text, err, out)
	}
}

// TestDemoRoomInTmux builds the real binary, runs `rounds demo` in tmux,
// walks one room (sweep, adopt the unknown unit, confirm a device, mark
// the missing pump missing), quits, and checks the database and the
// journal.
func TestDemoRoomInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	start := time.Now()
	tmp := t.TempDir()
	bin := binary(t) // built once for every end-to-end test
	t.Logf("built in %v", time.Since(start))

	dir := filepath.Join(tmp, "demo")
	exitFile := filepath.Join(tmp, "exit")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("rounds-e2e-%d", os.Getpid())}
	t.Cleanup(func() { s.tmux("kill-server") })
	// The scanner gap is generous here: under -race on a loaded machine
	// the program can take longer than a scanner between two keys.
	cmdline := fmt.Sprintf("%s --db %s --scan-gap 150ms demo --dir %s; echo $? > %s; sleep 60",
		bin, filepath.Join(tmp, "never-touched.db"), dir, exitFile)
	if out, err := s.tmux("new-session", "-d", "-s", "e2e", "-x", "100", "-y", "30",
		"env", "TERM=xterm-256color", "sh", "-c", cmdline); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}

	// The round overview; the door label of ICU 12 is scanned: the room
	// opens, ready to sweep.
	s.waitFor(15*time.Second, "0 of 4 rooms done", "DEMO/3/3W-12")
	s.scan("LOC-DEMO-3W12")
	s.waitFor(10*time.Second, "ready: enter starts the sweep")
	s.keys("Enter")
	s.waitFor(40*time.Second, "Findings DEMO/3/3W-12", "Unknown (1)")

	// The monitor's asset tag is scanned on the findings: the cursor goes
	// to it and no letter of the tag runs a command. Then c confirms.
	s.scan("bme-3002")
	s.waitFor(5*time.Second, "scanned BME-3002")
	s.keys("c")
	s.waitFor(5*time.Second, "saved · BME-3002: confirmed")

	// The unknown Masimo Root, found by the serial it reported; its new
	// label is scanned into the adopt form, over what was typed there.
	s.scan("MSR-1190832")
	s.waitFor(5*time.Second, "scanned")
	s.keys("a")
	s.waitFor(5*time.Second, "Adopt an unknown unit")
	s.keys("x", "x")
	s.waitFor(5*time.Second, "› xx")
	s.scan("BME-9001")
	s.waitFor(5*time.Second, "likely first", "Masimo Root")
	s.keys("Enter")
	s.waitFor(5*time.Second, "saved · BME-9001: adopted as BME-9001")

	// The Sigma Spectrum pump is not here: scanned to, marked missing
	// after the one question.
	s.scan("BME-3004")
	s.waitFor(5*time.Second, "scanned BME-3004")
	s.keys("x")
	s.waitFor(5*time.Second, "mark BME-3004 missing?")
	s.keys("y")
	s.waitFor(5*time.Second, "saved · BME-3004: marked missing")

	// The next room's label with items still open asks; n stays.
	s.scan("LOC-DEMO-3W14")
	s.waitFor(5*time.Second, "Leave it for DEMO/3/3W-14?")
	s.keys("n")
	s.waitFor(5*time.Second, "cancelled")

	// Help is one key away.
	s.keys("?")
	s.waitFor(5*time.Second, "correct fw/serial", "sweep again")
	s.keys("?")

	s.keys("C-c")
	deadline := time.Now().Add(10 * time.Second)
	var code []byte
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(exitFile); err == nil && len(b) > 0 {
			code = b
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("rounds demo exited %q; screen:\n%s", code, s.screen())
	}
	if _, err := os.Stat(filepath.Join(tmp, "never-touched.db")); !os.IsNotExist(err) {
		t.Errorf("the demo touched the --db database: %v", err)
	}

	// The database and the journal.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, demo.DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	adopted, err := st.Device(ctx, "BME-9001")
	if err != nil || adopted.Manufacturer != "Masimo" || adopted.Model != "Root" || adopted.LocationKey != demo.RoomICU12 ||
		adopted.Serial != "MSR-1190832" {
		t.Errorf("adopted device %+v, %v", adopted, err)
	}
	mon, err := st.Device(ctx, "BME-3002")
	if err != nil || mon.LastAudited.IsZero() {
		t.Errorf("confirmed monitor %+v, %v", mon, err)
	}
	pump, err := st.Device(ctx, "BME-3004")
	if err != nil || pump.Status != store.StatusMissing {
		t.Errorf("missing pump %+v, %v", pump, err)
	}
	es, err := st.Journal(ctx, store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Op{"BME-9001": store.OpCreate, "BME-3002": store.OpAudit, "BME-3004": store.OpUpdate}
	for _, e := range es {
		if op, ok := want[e.AssetTag]; ok && e.Op == op && e.State == store.StatePending {
			delete(want, e.AssetTag)
		}
	}
	if len(want) > 0 || len(es) != 3 {
		t.Errorf("journal %+v; missing %v", es, want)
	}
	// The visit keeps what was done about each finding.
	rd, err := st.ActiveRound(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := (&round.Engine{Store: st}).LatestVisit(ctx, rd.ID, demo.RoomICU12)
	if err != nil {
		t.Fatal(err)
	}
	acts := map[reconcile.Kind][]string{}
	for _, it := range v.Items {
		if it.Action != "" {
			acts[it.Finding.Kind] = append(acts[it.Finding.Kind], it.Action)
		}
	}
	// The adopted unit is no longer unknown: its flags and kind follow
	// its new record.
	if fmt.Sprint(acts[reconcile.Verified]) != "[confirmed adopted as BME-9001]" && fmt.Sprint(acts[reconcile.Verified]) != "[adopted as BME-9001 confirmed]" ||
		fmt.Sprint(acts[reconcile.Missing]) != "[marked missing]" {
		t.Errorf("finding actions %v", acts)
	}
	t.Logf("end to end in %v", time.Since(start))
}
