package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/store/exchange"
)

type importOptions struct {
	kind     string
	maps     []string
	skipBad  bool
	baseline bool
	jsonOut  bool
}

func newImportCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import devices, models or locations from CSV or JSON",
		Long: `Import an inventory file (CSV or JSON; "-" reads standard input) in one
transaction. The kind (devices, models, locations) is detected from the
header unless --kind is given. Column names of ServiceNow and Snipe-IT exports
are recognised; map any other column with --map 'COLUMN=FIELD' or ignore it
with --map 'COLUMN=-'.

A bad row aborts the whole file with FILE:LINE: field: reason and leaves the
database as it was; --skip-bad imports the other rows and lists the skipped
lines. Re-importing a file changes nothing. Devices are matched by asset tag;
columns the file lacks keep their stored values.

Every real change to a device is journalled as a local change for sync to
push to the CMDB. When the file IS the CMDB's own export (the usual first
import), give --baseline: its rows are written without journal entries.

Canonical device columns:
  ` + strings.Join(exchange.CanonicalHeader(exchange.Devices), ",") + `
Model columns:
  ` + strings.Join(exchange.CanonicalHeader(exchange.Models), ",") + `
Location columns (segments as CIDR=tag|tag;CIDR=tag):
  ` + strings.Join(exchange.CanonicalHeader(exchange.Locations), ","),
		Example: `  rounds import --baseline cmdb-export.csv
  rounds import --map 'Tag Number=asset_tag' --map 'Cost Centre=-' audit.csv
  rounds import --kind locations rooms.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd, a, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kind, "kind", "", "what the file holds: devices, models or locations (default: detect)")
	f.StringArrayVar(&o.maps, "map", nil, "map a column: `COLUMN=FIELD`, or COLUMN=- to ignore it (repeatable)")
	f.BoolVar(&o.skipBad, "skip-bad", false, "import the good rows and list the bad ones instead of aborting")
	f.BoolVar(&o.baseline, "baseline", false, "the file is the CMDB's own state: write it without journal entries")
	f.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	return cmd
}

func runImport(cmd *cobra.Command, a *app, path string, o importOptions) error {
	opts := exchange.Options{SkipBad: o.skipBad, Baseline: o.baseline, Actor: a.technician()}
	if o.kind != "" {
		k, err := exchange.ParseKind(o.kind)
		if err != nil {
			return usageError{err}
		}
		opts.Kind = k
	}
	m, err := exchange.ParseMap(o.maps)
	if err != nil {
		return usageError{err}
	}
	opts.Map = m
	var r io.Reader = a.stdin
	opts.Name = "stdin"
	var size int64
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r, opts.Name = f, filepath.Base(path)
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	st, err := a.store(cmd.Context())
	if err != nil {
		return err
	}
	// Progress counts rows; the bar's fraction is the share of the file
	// read, as the row count is known only at the end.
	cr := &countingReader{r: r}
	pr := a.newProgress("import "+opts.Name, "rows", 0, o.jsonOut)
	if size > 0 {
		pr.Fraction(func() float64 { return float64(cr.count()) / float64(size) })
	}
	opts.Progress = func(rows int) { pr.Set(int64(rows)) }
	opts.ProgressEvery = 1000
	res, err := exchange.Import(cmd.Context(), st, cr, opts)
	if err != nil {
		return err
	}
	pr.Done(int64(res.Rows))
	a.log.Info("import", "file", opts.Name, "rows", res.Rows, "created", res.Created, "updated", res.Updated,
		"unchanged", res.Unchanged, "skipped", len(res.Skipped))
	if o.jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(a.stderr, "skipped %s\n", inert(s.Error()))
	}
	kinds := make([]string, len(res.Kinds))
	for i, k := range res.Kinds {
		kinds[i] = string(k)
	}
	what := strings.Join(kinds, ", ")
	if what == "" {
		what = "records"
	}
	fmt.Fprintf(a.stdout, "%s: %d rows of %s: %d created, %d updated, %d unchanged, %d skipped",
		inert(opts.Name), res.Rows, what, res.Created, res.Updated, res.Unchanged, len(res.Skipped))
	if o.baseline {
		fmt.Fprint(a.stdout, " (baseline, not journalled)")
	}
	fmt.Fprintln(a.stdout)
	return nil
}
