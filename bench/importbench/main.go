// Command importbench measures the inventory's performance goals on a
// generated inventory and prints the figures:
//
//   - importing an N-device CSV (default 1,000,000) with rounds, wall time
//     and peak RSS, side by side with the sqlite3 shell importing the same
//     rows into the same schema with the same indexes, and their ratio;
//   - loading one room's expected devices from that database (p50, p99);
//   - cold start of `rounds devices --room KEY` on it.
//
// Generated files and databases go to a temporary directory that is
// removed at the end (-keep keeps it). Run from the repository root:
//
//	go run ./bench/importbench -devices 1000000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
	"github.com/biomed-rounds/rounds/store/gen"
)

func main() {
	devices := flag.Int("devices", 1_000_000, "devices to generate and import")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	journal := flag.Bool("journal", true, "also measure a journalled (non-baseline) import")
	child := flag.String("child", "", "internal: import FILE into DB as a child process (baseline|journal)")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *child != "" {
		if err := childImport(*child, flag.Arg(0), flag.Arg(1)); err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := bench(*devices, *keep, *journal); err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
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
	_, err = exchange.Import(ctx, st, f, exchange.Options{Name: filepath.Base(file), Baseline: mode == "baseline"})
	return err
}

func bench(n int, keep, journal bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "importbench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("files in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	g := gen.New(gen.Options{Seed: 1, Devices: n, Now: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)})
	csvPath := filepath.Join(dir, "devices.csv")
	t0 := time.Now()
	if err := writeCSV(csvPath, g); err != nil {
		return err
	}
	fi, _ := os.Stat(csvPath)
	fmt.Printf("generated %d devices in %d rooms: %s (%.0f MB) in %v\n", n, g.Rooms(), csvPath, float64(fi.Size())/1e6, time.Since(t0).Round(time.Millisecond))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Both sides start from the same empty, migrated database.
	fresh := func(name string) (string, error) {
		p := filepath.Join(dir, name)
		st, err := store.Open(ctx, p)
		if err != nil {
			return "", err
		}
		return p, st.Close()
	}
	shellDB, err := fresh("shell.db")
	if err != nil {
		return err
	}
	script := filepath.Join(dir, "shell.sql")
	if err := os.WriteFile(script, []byte(shellScript(csvPath)), 0o600); err != nil {
		return err
	}
	sqliteRes, err := measure(exec.Command("sqlite3", shellDB, ".read "+script))
	if err != nil {
		return fmt.Errorf("sqlite3 shell: %w", err)
	}
	roundsDB, err := fresh("rounds.db")
	if err != nil {
		return err
	}
	roundsRes, err := measure(exec.Command(self, "-child", "baseline", roundsDB, csvPath))
	if err != nil {
		return fmt.Errorf("rounds import: %w", err)
	}
	if err := sameContent(ctx, roundsDB, shellDB); err != nil {
		return err
	}
	fmt.Printf("\nimport of %d devices (one transaction, WAL, same schema and indexes)\n", n)
	fmt.Printf("  %-28s %9s %10s\n", "", "wall", "peak RSS")
	fmt.Printf("  %-28s %9.2fs %8.0f MB\n", "sqlite3 shell (.import+SQL)", sqliteRes.wall.Seconds(), sqliteRes.rssMB)
	fmt.Printf("  %-28s %9.2fs %8.0f MB   ratio %.2fx\n", "rounds import --baseline", roundsRes.wall.Seconds(), roundsRes.rssMB, roundsRes.wall.Seconds()/sqliteRes.wall.Seconds())
	if journal {
		jDB, err := fresh("journal.db")
		if err != nil {
			return err
		}
		jRes, err := measure(exec.Command(self, "-child", "journal", jDB, csvPath))
		if err != nil {
			return fmt.Errorf("rounds import (journalled): %w", err)
		}
		fmt.Printf("  %-28s %9.2fs %8.0f MB   ratio %.2fx (writes %d journal entries too)\n", "rounds import (journalled)", jRes.wall.Seconds(), jRes.rssMB, jRes.wall.Seconds()/sqliteRes.wall.Seconds(), n)
		os.Remove(jDB)
	}

	// Room loads.
	st, err := store.Open(ctx, roundsDB)
	if err != nil {
		return err
	}
	keys := g.RoomKeys()
	rng := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	total := 0
	for i := range 2200 {
		k := keys[rng.IntN(len(keys))]
		t := time.Now()
		ds, err := st.DevicesInRoom(ctx, k)
		d := time.Since(t)
		if err != nil {
			return err
		}
		if i >= 200 { // warm-up
			lat = append(lat, d)
			total += len(ds)
		}
	}
	st.Close()
	slices.Sort(lat)
	fmt.Printf("\nload one room's expected devices (%d random rooms, %.1f devices each): p50 %v  p99 %v  max %v\n",
		len(lat), float64(total)/float64(len(lat)), pct(lat, 50), pct(lat, 99), lat[len(lat)-1])

	// Cold start of the real binary.
	bin := filepath.Join(dir, "rounds")
	build := exec.Command("go", "build", "-o", bin, "./cmd/rounds")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/rounds (run from the repository root): %w", err)
	}
	var cold []time.Duration
	for range 21 {
		k := keys[rng.IntN(len(keys))]
		cmd := exec.Command(bin, "--db", roundsDB, "devices", "--room", k)
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("rounds devices --room %s: %v\n%s", k, err, out)
		}
		cold = append(cold, time.Since(t))
	}
	slices.Sort(cold)
	fmt.Printf("cold start of `rounds devices --room KEY` (%d runs): median %v  p95 %v  max %v\n",
		len(cold), pct(cold, 50).Round(time.Millisecond), pct(cold, 95).Round(time.Millisecond), cold[len(cold)-1].Round(time.Millisecond))
	return nil
}

func pct(s []time.Duration, p int) time.Duration {
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func writeCSV(path string, g *gen.Generator) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	x := exchange.NewWriter(bw, exchange.CSV)
	if err := x.Devices(g.EachDevice); err != nil {
		f.Close()
		return err
	}
	if err := x.Close(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// shellScript is the sqlite3 shell's side: the same PRAGMAs as rounds'
// bulk import (store.BulkWrite), the CSV into a temporary table, then the same rows into
// the same tables (models, locations, devices, identifiers) in one
// transaction.
func shellScript(csvPath string) string {
	cols := strings.Join(exchange.CanonicalHeader(exchange.Devices), ", ")
	return `PRAGMA foreign_keys = OFF; -- as in rounds' bulk import: the ids come from joins, valid by construction
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -` + strconv.Itoa(store.BulkCacheKiB) + `;
PRAGMA temp_store = MEMORY;
CREATE TEMP TABLE staging (` + cols + `);
.import --csv --skip 1 --schema temp ` + csvPath + ` staging
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO models (manufacturer, model, device_class)
  SELECT manufacturer, model, max(device_class) FROM staging WHERE manufacturer <> '' GROUP BY manufacturer, model;
INSERT OR IGNORE INTO locations (key, building, floor, room)
  SELECT DISTINCT building || '/' || floor || '/' || room, building, floor, room FROM staging WHERE building <> '';
INSERT INTO devices (asset_tag, serial, model_id, location_id, status, firmware_version, os, os_version,
    hostname, ip, mac, ble_address, last_seen, last_audited, next_audit_due, last_pm, next_pm_due, owner,
    cmdb_id, cmdb_version, revision)
  SELECT s.asset_tag, s.serial, m.id, l.id, s.status, s.firmware_version, s.os, s.os_version, s.hostname,
    s.ip, s.mac, s.ble_address, s.last_seen, s.last_audited, s.next_audit_due, s.last_pm, s.next_pm_due,
    s.owner, s.cmdb_id, s.cmdb_version, 0
  FROM staging s
  LEFT JOIN models m ON m.manufacturer = s.manufacturer AND m.model = s.model
  LEFT JOIN locations l ON l.key = s.building || '/' || s.floor || '/' || s.room;
INSERT INTO identifiers (device_id, kind, value)
  SELECT id, 'serial', serial FROM devices WHERE serial <> ''
  UNION ALL SELECT id, 'mac', mac FROM devices WHERE mac <> ''
  UNION ALL SELECT id, 'ble_address', ble_address FROM devices WHERE ble_address <> ''
  UNION ALL SELECT id, 'hostname', lower(hostname) FROM devices WHERE hostname <> ''
  UNION ALL SELECT id, 'ip', ip FROM devices WHERE ip <> ''
  UNION ALL SELECT id, 'cmdb_id', cmdb_id FROM devices WHERE cmdb_id <> '';
COMMIT;
`
}

// sameContent checks that both imports stored the same devices and
// identifiers, so that the comparison is fair.
func sameContent(ctx context.Context, a, b string) error {
	counts := func(p string) (string, error) {
		st, err := store.Open(ctx, p)
		if err != nil {
			return "", err
		}
		defer st.Close()
		c, err := st.Counts(ctx)
		return c.String(), err
	}
	ca, err := counts(a)
	if err != nil {
		return err
	}
	cb, err := counts(b)
	if err != nil {
		return err
	}
	if ca != cb {
		return fmt.Errorf("imports differ: rounds %s; sqlite3 %s", ca, cb)
	}
	fmt.Println("both stored", ca)
	return nil
}
