package exchange_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
	"github.com/biomed-rounds/rounds/store/gen"
)

// genCSV writes n generated devices as CSV.
func genCSV(t testing.TB, seed int64, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	g := gen.New(gen.Options{Seed: seed, Devices: n, Now: day})
	x := exchange.NewWriter(&b, exchange.CSV)
	if err := x.Devices(g.EachDevice); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestOneTransaction: while an import runs, another connection sees the
// database as it was before; afterwards it sees all of it.
func TestOneTransaction(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mustImport(t, st, "seed.csv", sample, exchange.Options{})
	reader, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	data := genCSV(t, 1, 600)
	var during []int
	_, err = exchange.Import(ctx, st, bytes.NewReader(data), exchange.Options{Name: "g.csv", ProgressEvery: 200,
		Progress: func(int) {
			n, err := reader.CountDevices(ctx)
			if err != nil {
				t.Error(err)
			}
			during = append(during, n)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(during) != 3 || during[0] != 3 || during[2] != 3 {
		t.Fatalf("reader saw %v devices during the import, want 3 each time", during)
	}
	if n, _ := reader.CountDevices(ctx); n != 603 {
		t.Fatalf("reader sees %d devices after the import, want 603", n)
	}
}

// TestKilledImportLeavesDatabaseIntact runs imports in a child process and
// kills it with SIGKILL: mid-transaction, at a random moment, and after
// the commit. The database must pass integrity_check and hold either
// everything from before or everything from after, never part.
func TestKilledImportLeavesDatabaseIntact(t *testing.T) {
	if os.Getenv("ROUNDS_KILL_CHILD") != "" {
		t.Skip("child process")
	}
	const seedRows, rows = 3, 1500
	dir := t.TempDir()
	file := filepath.Join(dir, "g.csv")
	if err := os.WriteFile(file, genCSV(t, 9, rows), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"mid", "random", "after"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			db := filepath.Join(t.TempDir(), "r.db")
			st, err := store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			mustImport(t, st, "seed.csv", sample, exchange.Options{})
			st.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
			cmd.Env = append(os.Environ(), "ROUNDS_KILL_CHILD="+mode, "ROUNDS_KILL_DB="+db, "ROUNDS_KILL_FILE="+file)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			want := map[string]string{"mid": "MID", "random": "START", "after": "DONE"}[mode]
			for sc.Scan() && sc.Text() != want {
			}
			if mode == "random" {
				time.Sleep(time.Duration(20+time.Now().UnixNano()%200) * time.Millisecond)
			}
			cmd.Process.Kill()
			cmd.Wait()

			st, err = store.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if check, err := st.IntegrityCheck(ctx); err != nil || check != "ok" {
				t.Fatalf("integrity_check = %q, %v", check, err)
			}
			n, _ := st.CountDevices(ctx)
			c, _ := st.JournalCounts(ctx)
			switch {
			case n == seedRows && c[store.StatePending] == seedRows:
				if mode == "after" {
					t.Fatal("the committed import was lost")
				}
			case n == seedRows+rows && c[store.StatePending] == seedRows+rows:
				if mode == "mid" {
					t.Fatal("the import completed although it was killed before its commit")
				}
			default:
				t.Fatalf("partial import: %d devices, journal %v", n, c)
			}
			t.Logf("%s: %d devices", mode, n)
		})
	}
}

// TestKillChild is the child of TestKilledImportLeavesDatabaseIntact.
func TestKillChild(t *testing.T) {
	mode := os.Getenv("ROUNDS_KILL_CHILD")
	if mode == "" {
		t.Skip("run by TestKilledImportLeavesDatabaseIntact")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv("ROUNDS_KILL_DB"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(os.Getenv("ROUNDS_KILL_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("START")
	_, err = exchange.Import(ctx, st, f, exchange.Options{Name: "g.csv", ProgressEvery: 200, Progress: func(n int) {
		if mode == "mid" {
			fmt.Println("MID")
			// Wait for the kill with the transaction open.
			time.Sleep(time.Minute)
		}
		fmt.Println("rows " + strconv.Itoa(n))
	}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("DONE")
	time.Sleep(time.Minute)
}
