package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/atomicfile"
	"github.com/biomed-rounds/rounds/store/exchange"
)

func newExportCmd(a *app) *cobra.Command {
	var format, kind, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the inventory as CSV or JSON",
		Long: `Export devices (default), models or locations as CSV or JSON, sorted, so that
exporting, importing into a fresh database and exporting again gives identical
bytes. --kind all (JSON only) writes rooms, the catalog and devices in one file
that "rounds import" reads back whole. Files are created 0600.`,
		Example: `  rounds export --format csv --out devices.csv
  rounds export --format json --kind all --out inventory.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := exchange.ParseFormat(format)
			if err != nil {
				return usageError{err}
			}
			kinds := exchange.Kinds
			if kind != "all" {
				k, err := exchange.ParseKind(kind)
				if err != nil {
					return usageError{fmt.Errorf("%w (or all)", err)}
				}
				kinds = []exchange.Kind{k}
			} else if f == exchange.CSV {
				return usagef("--kind all needs --format json: a CSV file holds one kind")
			}
			st, err := a.readStore(cmd.Context())
			if err != nil {
				return err
			}
			// Progress on stdout would mix with the data: only an export
			// to a file shows it.
			if out == "" || out == "-" {
				return writeOut(a, out, func(w io.Writer) error {
					return exchange.Export(cmd.Context(), st, w, f, kinds...)
				})
			}
			pr := a.newProgress("export "+filepath.Base(out), "bytes", 0, false)
			var n int64
			err = writeOut(a, out, func(w io.Writer) error {
				cw := &countingWriter{w: w, p: pr}
				err := exchange.Export(cmd.Context(), st, cw, f, kinds...)
				n = cw.n
				return err
			})
			if err == nil {
				pr.Done(n)
				a.log.Info("export", "file", out, "bytes", n)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	cmd.Flags().StringVar(&kind, "kind", "devices", "devices, models, locations, or all (JSON)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to `FILE` (created 0600) instead of standard output")
	return cmd
}

// writeOut runs write on standard output, or on a new 0600 file that
// replaces path only once complete, so that a failed export never leaves
// a half-written file where a good one was.
func writeOut(a *app, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(a.stdout)
	}
	return atomicfile.Write(path, write)
}
