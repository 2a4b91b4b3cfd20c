package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/store/exchange"
)

// importRows generates n devices and imports them -runs times, the sqlite3
// shell, rounds --baseline and rounds (journalled) interleaved, each into
// a fresh migrated database. It returns the last baseline database.
func importRows(ctx context.Context, c *config, t *table, n int, report bool) (string, error) {
	dir := filepath.Join(c.dir, "import-"+size(n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	csvPath := filepath.Join(dir, "devices.csv")
	if _, err := generate(csvPath, n); err != nil {
		return "", err
	}
	script := filepath.Join(dir, "shell.sql")
	if err := os.WriteFile(script, []byte(shellScript(csvPath)), 0o600); err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	fresh := func(name string) (string, error) {
		p := filepath.Join(dir, name)
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(p + s)
		}
		st, err := store.Open(ctx, p)
		if err != nil {
			return "", err
		}
		return p, st.Close()
	}
	runs := c.runs
	if !report {
		runs = 1
	}
	var shell, base, journal []result
	var baseDB string
	for i := range runs {
		fmt.Fprintf(os.Stderr, "import %s: run %d of %d\n", size(n), i+1, runs)
		db, err := fresh("shell.db")
		if err != nil {
			return "", err
		}
		if report {
			r, err := measure(exec.Command("sqlite3", db, ".read "+script))
			if err != nil {
				return "", fmt.Errorf("sqlite3 shell: %w", err)
			}
			shell = append(shell, r)
		}
		if baseDB, err = fresh("baseline.db"); err != nil {
			return "", err
		}
		r, err := measure(exec.Command(self, "-child", "baseline", baseDB, csvPath))
		if err != nil {
			return "", fmt.Errorf("rounds import --baseline: %w", err)
		}
		base = append(base, r)
		if !report {
			break
		}
		if err := sameCounts(ctx, baseDB, db); err != nil {
			return "", err
		}
		jdb, err := fresh("journal.db")
		if err != nil {
			return "", err
		}
		if r, err = measure(exec.Command(self, "-child", "journal", jdb, csvPath)); err != nil {
			return "", fmt.Errorf("rounds import: %w", err)
		}
		journal = append(journal, r)
		os.Remove(jdb)
		os.Remove(db)
	}
	if !report {
		return baseDB, nil
	}
	s, b, j := median(shell), median(base), median(journal)
	goal, rssGoal := "", ""
	if n >= 1_000_000 {
		goal, rssGoal = "≤1.3×", " RSS<200MB"
	}
	t.add(fmt.Sprintf("import %s --baseline vs sqlite3 shell (median of %d)", size(n), runs),
		figures(b), figures(s), ratios(b, s),
		goal+rssGoal, b.wall.Seconds()/s.wall.Seconds() <= 1.3 && b.rssMB < 200 || n < 1_000_000)
	t.add(fmt.Sprintf("import %s journalled vs --baseline", size(n)),
		figures(j), figures(b), ratios(j, b),
		"≤1.5× RSS<200MB", j.wall.Seconds()/b.wall.Seconds() <= 1.5 && j.rssMB < 200)
	return baseDB, nil
}

// shellScript is the sqlite3 shell's side: the same PRAGMAs as rounds'
// bulk import (store.BulkWrite), the CSV into a temporary table, then the
// same rows into the same tables (models, locations, devices,
// identifiers) in one transaction.
func shellScript(csvPath string) string {
	cols := strings.Join(exchange.CanonicalHeader(exchange.Devices), ", ")
	return `PRAGMA foreign_keys = OFF;
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

// sameCounts checks that both imports stored as many rows, so that the
// comparison is fair.
func sameCounts(ctx context.Context, a, b string) error {
	counts := func(p string) (string, error) {
		st, err := store.OpenReadOnly(ctx, p)
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
	return nil
}

// listSQL is what `rounds devices` prints, as the shell's query.
const listSQL = `SELECT d.asset_tag, coalesce(m.device_class, ''), coalesce(m.manufacturer || ' ' || m.model, ''),
  coalesce(l.key, ''), d.status, d.firmware_version, d.ip, d.mac
  FROM devices d LEFT JOIN models m ON m.id = d.model_id LEFT JOIN locations l ON l.id = d.location_id`

// listRows: cold start of a room listing, the whole listing and a CSV
// export, each vs the shell on the same database.
func listRows(c *config, t *table, db string, n int) error {
	bin, err := c.build("rounds", "build", "./cmd/rounds")
	if err != nil {
		return err
	}
	out, err := exec.Command("sqlite3", db, "SELECT key FROM locations WHERE id IN (SELECT DISTINCT location_id FROM devices) ORDER BY key").Output()
	if err != nil {
		return fmt.Errorf("sqlite3: %w", err)
	}
	keys := strings.Fields(string(out))
	if len(keys) == 0 {
		return fmt.Errorf("no rooms in %s", db)
	}
	if c.rows["cold"] {
		floorBin, err := c.build("coldfloor", "build", "./bench/coldfloor")
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(1, 2))
		var ours, shell, floor []result
		for range 11 {
			k := keys[rng.IntN(len(keys))]
			q := listSQL + " WHERE d.location_id = (SELECT id FROM locations WHERE key = '" + strings.ReplaceAll(k, "'", "''") + "') ORDER BY d.asset_tag"
			s, err := measure(exec.Command("sqlite3", "-readonly", db, q))
			if err != nil {
				return err
			}
			r, err := measure(exec.Command(bin, "--db", db, "devices", "--room", k))
			if err != nil {
				return err
			}
			fl, err := measure(exec.Command(floorBin, db, k))
			if err != nil {
				return err
			}
			shell, ours, floor = append(shell, s), append(ours, r), append(floor, fl)
		}
		o, s, fl := median(ours), median(shell), median(floor)
		t.add(fmt.Sprintf("cold start: rounds devices --room (%s DB, median of 11)", size(n)),
			figures(o), figures(s), ratios(o, s), "≤1.0×", o.wall <= s.wall)
		t.add("  the floor: a Go program that only runs that query (bench/coldfloor)",
			figures(fl), figures(s), ratios(fl, s), "", true)
	}
	if c.rows["list"] {
		var ours, shell, exp, expShell []result
		for range min(c.runs, 3) {
			s, err := measure(exec.Command("sqlite3", "-readonly", db, listSQL+" ORDER BY d.asset_tag"))
			if err != nil {
				return err
			}
			r, err := measure(exec.Command(bin, "--db", db, "devices"))
			if err != nil {
				return err
			}
			es, err := measure(exec.Command("sqlite3", "-readonly", "-csv", "-header", db, "SELECT * FROM devices ORDER BY asset_tag"))
			if err != nil {
				return err
			}
			e, err := measure(exec.Command(bin, "--db", db, "export", "--format", "csv"))
			if err != nil {
				return err
			}
			shell, ours, expShell, exp = append(shell, s), append(ours, r), append(expShell, es), append(exp, e)
		}
		o, s := median(ours), median(shell)
		t.add(fmt.Sprintf("rounds devices, all %s", size(n)),
			figures(o), figures(s), ratios(o, s), "≤2× RSS<50MB", o.wall.Seconds() <= 2*s.wall.Seconds() && o.rssMB < 50)
		o, s = median(exp), median(expShell)
		t.add(fmt.Sprintf("rounds export --format csv, %s", size(n)),
			figures(o), figures(s), ratios(o, s), "RSS<50MB", o.rssMB < 50)
	}
	return nil
}

// figures shows a process's wall time, CPU time and peak RSS: on a shared
// machine the CPU time is the steadier figure.
func figures(r result) string {
	return fmt.Sprintf("%s wall, %s CPU, %.0f MB", secs(r.wall), secs(r.cpu), r.rssMB)
}

func ratios(a, b result) string {
	return fmt.Sprintf("%.2f× wall, %.2f× CPU", a.wall.Seconds()/b.wall.Seconds(), a.cpu.Seconds()/max(b.cpu.Seconds(), 1e-3))
}
