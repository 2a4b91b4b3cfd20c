//go:build linux

package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fsyncChildEnv makes TestFsyncChild act: it is the process the fsync
// test traces.
const fsyncChildEnv = "ROUNDS_FSYNC_CHILD"

// ackMarker is the path prefix the child opens (and fails to open) after
// each commit it acknowledges, so that the trace shows where each
// acknowledgement happened among the sync calls.
const ackMarker = "/nonexistent-rounds-ack-"

// fsyncCommits is the number of acknowledged commits the child makes.
const fsyncCommits = 12

// TestFsyncPerCommit proves that every acknowledged commit reaches the
// disk: it runs a child that makes commits of each kind a user or sync
// acknowledges (an action, a note, a bulk import, a journal state change)
// under strace and asserts at least one fsync or fdatasync of the
// database's WAL between consecutive acknowledgements. Cutting the power
// is impossible in a test; a commit whose WAL was synced survives it (the
// guarantee of synchronous=FULL in WAL mode). The NORMAL case shows that
// the test detects the weaker setting.
func TestFsyncPerCommit(t *testing.T) {
	if os.Getenv(fsyncChildEnv) != "" {
		t.Skip("child process")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed (apt-get install strace; .ci/run installs it): cannot count fsyncs")
	}
	if testing.Short() {
		t.Skip("-short: runs a traced child process")
	}
	for _, tc := range []struct {
		mode      string
		wantEvery bool
	}{
		{"FULL", true},
		{"NORMAL", false},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := t.TempDir()
			trace := filepath.Join(dir, "trace")
			db := filepath.Join(dir, "r.db")
			cmd := exec.Command(strace, "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,openat", "-o", trace,
				os.Args[0], "-test.run=^TestFsyncChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), fsyncChildEnv+"="+db, "ROUNDS_FSYNC_MODE="+tc.mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "ptrace") || strings.Contains(string(out), "Operation not permitted") {
					t.Skipf("strace cannot trace here: %s", out)
				}
				t.Fatalf("child: %v\n%s", err, out)
			}
			syncs, err := syncsPerAck(trace, db+"-wal")
			if err != nil {
				t.Fatal(err)
			}
			if len(syncs) != fsyncCommits {
				t.Fatalf("saw %d acknowledgements in the trace, want %d", len(syncs), fsyncCommits)
			}
			unsynced := 0
			for _, n := range syncs {
				if n == 0 {
					unsynced++
				}
			}
			t.Logf("synchronous=%s: WAL syncs before each acknowledgement: %v", tc.mode, syncs)
			if tc.wantEvery && unsynced > 0 {
				t.Errorf("%d of %d acknowledged commits had no WAL sync before the acknowledgement: %v", unsynced, len(syncs), syncs)
			}
			if !tc.wantEvery && unsynced == 0 {
				t.Errorf("every commit synced under %s too; the test cannot tell the settings apart", tc.mode)
			}
		})
	}
}

// syncsPerAck reads an strace log and returns, for each acknowledgement
// marker, the number of fsync/fdatasync calls on the file wal since the
// previous marker.
func syncsPerAck(trace, wal string) ([]int, error) {
	f, err := os.Open(trace)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []int
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, ackMarker):
			out = append(out, n)
			n = 0
		case (strings.Contains(line, "fsync(") || strings.Contains(line, "fdatasync(")) && strings.Contains(line, "<"+wal+">"):
			n++
		}
	}
	return out, sc.Err()
}

// TestFsyncChild is the traced child of TestFsyncPerCommit.
func TestFsyncChild(t *testing.T) {
	db := os.Getenv(fsyncChildEnv)
	if db == "" {
		t.Skip("runs only as the child of TestFsyncPerCommit")
	}
	if m := os.Getenv("ROUNDS_FSYNC_MODE"); m != "" {
		synchronous = m
	}
	ctx := context.Background()
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ack := func(i int) {
		// Opening a path that cannot exist is a syscall the trace shows
		// in order with the sync calls, and has no other effect.
		if f, err := os.Open(fmt.Sprintf("%s%d", ackMarker, i)); err == nil {
			f.Close()
		}
	}
	i := 0
	for ; i < 4; i++ { // actions, as the TUI writes them
		tag := fmt.Sprintf("A%d", i)
		if err := s.Write(ctx, "tech", func(w *Writer) error {
			_, err := w.PutDevice(Device{AssetTag: tag, Status: StatusInService})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ack(i)
	}
	for ; i < 7; i++ { // notes
		if err := s.Write(ctx, "tech", func(w *Writer) error { return w.AddNote("A0", fmt.Sprintf("note %d", i)) }); err != nil {
			t.Fatal(err)
		}
		ack(i)
	}
	for ; i < 10; i++ { // imports
		if err := s.BulkWrite(ctx, "import", func(w *Writer) error {
			ds := make([]Device, 50)
			for j := range ds {
				ds[j] = Device{AssetTag: fmt.Sprintf("B%d-%d", i, j), Status: StatusInService}
			}
			return w.CreateDevices(ds)
		}); err != nil {
			t.Fatal(err)
		}
		ack(i)
	}
	for ; i < fsyncCommits; i++ { // sync acknowledgements
		es, err := s.Outbox(ctx, 1)
		if err != nil || len(es) == 0 {
			t.Fatalf("outbox: %v (%d entries)", err, len(es))
		}
		if err := s.SetStates(ctx, []Transition{{Seq: es[0].Seq, State: StateAcked}}); err != nil {
			t.Fatal(err)
		}
		ack(i)
	}
}
