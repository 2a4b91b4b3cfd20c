package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/feed"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/store"
)

func newAdvisoriesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisories",
		Short: "Import and list security advisories (CSAF) and device recalls (openFDA)",
		Args:  commandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("advisories needs a command: import FILE... or list")
		},
	}
	cmd.AddCommand(newAdvisoriesImportCmd(a), newAdvisoriesListCmd(a), newAdvisoriesUpdateCmd(a))
	return cmd
}

func newAdvisoriesImportCmd(a *app) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import CSAF 2.0 advisories and openFDA device recall files",
		Long: `Import security advisories and recalls for reconciliation.

Each FILE is a CSAF 2.0 JSON document (as CISA publishes its ICSMA medical
advisories) or an openFDA device recall or enforcement JSON file; the kind is
recognised by its contents. Importing is idempotent: the same document again
changes nothing, a newer revision replaces an older one, and an older one never
replaces a newer. A malformed file is reported by name and skipped; the others
are imported, each file in its own transaction, and the command exits 1.

A recall file's unusable records are skipped and counted; a food or drug
enforcement report is refused with a warning (it is not a device recall).
At the end the command says how many advisory products and version
expressions it understood; --verbose lists the ones it did not (they can
only raise possible flags, never certain ones).`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return importAdvisories(cmd, a, files, verbose)
		},
	}
	cmd.Flags().BoolVar(&verbose, "verbose", false, "list the products and version expressions not understood, and every skipped record")
	return cmd
}

// understanding counts the products of the imported advisories whose
// version expression was understood.
type understanding struct {
	products, understood int
	// explicit counts products with a version expression other than
	// "all versions"; explicitOK those understood.
	explicit, explicitOK int
	missed               []string
}

func (u *understanding) add(file string, adv *advisory.Advisory) {
	for i := range adv.Products {
		p := &adv.Products[i]
		u.products++
		_, ok := p.Range()
		all := p.Version == "" || strings.EqualFold(p.Version, "vers:all/*")
		if !all {
			u.explicit++
		}
		if ok {
			u.understood++
			if !all {
				u.explicitOK++
			}
			continue
		}
		u.missed = append(u.missed, fmt.Sprintf("%s: %s %s: %q", filepath.Base(file), p.Vendor, p.Name, p.Version))
	}
}

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// importAdvisories parses and stores each file, reporting per document.
func importAdvisories(cmd *cobra.Command, a *app, files []string, verbose bool) error {
	ctx := cmd.Context()
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	counts := map[store.RefOutcome]int{}
	var skipped, refused, skippedRecords []string
	var und understanding
	pr := a.newProgress("advisories import", "files", int64(len(files)), false)
	for fi, name := range files {
		pr.Set(int64(fi))
		rows, doc, err := readRefFile(name)
		if errors.Is(err, advisory.ErrNotDevice) {
			fmt.Fprintf(a.stderr, "rounds: warning: refused %s\n", inert(err.Error()))
			refused = append(refused, name)
			continue
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "rounds: skipped %s\n", inert(err.Error()))
			skipped = append(skipped, name)
			continue
		}
		if doc.Advisory != nil {
			und.add(name, doc.Advisory)
		}
		skippedRecords = append(skippedRecords, doc.Skipped...)
		outcomes := make([]store.RefOutcome, len(rows))
		err = st.Write(ctx, "rounds advisories import", func(w *store.Writer) error {
			for i, r := range rows {
				if outcomes[i], err = w.PutRef(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(a.stderr, "rounds: skipped %s: %s\n", inert(name), inert(err.Error()))
			skipped = append(skipped, name)
			continue
		}
		for i, r := range rows {
			counts[outcomes[i]]++
			fmt.Fprintf(a.stdout, "%-8s %-24s %-10s %s\n", r.Kind, inert(r.ID), outcomes[i], inert(filepath.Base(name)))
		}
	}
	pr.Done(int64(len(files)))
	a.log.Info("advisories import", "files", len(files), "skipped", len(skipped), "added", counts[store.RefAdded])
	fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d kept newer; %d of %d files skipped\n",
		counts[store.RefAdded], counts[store.RefUpdated], counts[store.RefUnchanged], counts[store.RefKeptNewer], len(skipped), len(files))
	if len(refused) > 0 {
		fmt.Fprintf(a.stdout, "%d files refused: not device recalls\n", len(refused))
	}
	if len(skippedRecords) > 0 {
		fmt.Fprintf(a.stdout, "%d recall records skipped (unusable)%s\n", len(skippedRecords), verboseHint(verbose))
		if verbose {
			for _, s := range skippedRecords {
				fmt.Fprintf(a.stdout, "  skipped: %s\n", inert(s))
			}
		}
	}
	if und.products > 0 {
		fmt.Fprintf(a.stdout, "advisory products: %d of %d understood (%.1f%%); version expressions other than \"all versions\": %d of %d (%.1f%%)%s\n",
			und.understood, und.products, pct(und.understood, und.products), und.explicitOK, und.explicit, pct(und.explicitOK, und.explicit), verboseHint(verbose && len(und.missed) > 0))
		if verbose {
			for _, m := range und.missed {
				fmt.Fprintf(a.stdout, "  not understood (possible flags only): %s\n", inert(m))
			}
		}
	}
	if len(skipped) > 0 {
		return fmt.Errorf("%d of %d files skipped (malformed): %s", len(skipped), len(files), inert(strings.Join(skipped, ", ")))
	}
	return nil
}

func verboseHint(shown bool) string {
	if shown {
		return ":"
	}
	return "; --verbose lists them"
}

// readRefFile reads and parses one file into store rows; errors name the
// file.
func readRefFile(name string) ([]store.RefDoc, advisory.Document, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, advisory.Document{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, advisory.MaxDocument+1))
	if err != nil {
		return nil, advisory.Document{}, fmt.Errorf("%s: %w", name, err)
	}
	doc, err := advisory.Parse(name, data)
	if err != nil {
		return nil, doc, err
	}
	rows, err := feed.RefDocs(doc, filepath.Base(name))
	return rows, doc, err
}

func newAdvisoriesListCmd(a *app) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the imported advisories and recalls",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.readStore(ctx)
			if err != nil {
				return err
			}
			var all []store.RefDoc
			for _, k := range []store.RefKind{store.RefAdvisory, store.RefRecall} {
				ds, err := st.Refs(ctx, k)
				if err != nil {
					return err
				}
				all = append(all, ds...)
			}
			if jsonOut {
				out := make([]store.RefDoc, 0, len(all))
				for _, d := range all {
					d.Data = nil
					out = append(out, d)
				}
				return writeJSON(a, out)
			}
			if len(all) == 0 {
				fmt.Fprintln(a.stdout, "no advisories or recalls imported; use: rounds advisories import FILE...")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tID\tDATE\tSCORE/CLASS\tPUBLISHER\tTITLE")
			for _, d := range all {
				score := d.Class
				if d.Kind == store.RefAdvisory {
					score = fmt.Sprintf("CVSS %.1f", d.Score)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Kind, inert(d.ID), store.FormatDate(d.Released),
					inert(score), inert(clipText(d.Publisher, 30)), inert(clipText(d.Title, 60)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array")
	return cmd
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
