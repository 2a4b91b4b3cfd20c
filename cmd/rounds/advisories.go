package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(newAdvisoriesImportCmd(a), newAdvisoriesListCmd(a))
	return cmd
}

func newAdvisoriesImportCmd(a *app) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import CSAF 2.0 advisories and openFDA device recall files",
		Long: `Import security advisories and recalls for reconciliation.

Each FILE is a CSAF 2.0 JSON document (as CISA publishes its ICSMA medical
advisories) or an openFDA device recall or enforcement JSON file; the kind is
recognised by its contents. Importing is idempotent: the same document again
changes nothing, a newer revision replaces an older one, and an older one never
replaces a newer. A malformed file is reported by name and skipped; the others
are imported, each file in its own transaction, and the command exits 1.`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return importAdvisories(cmd, a, files, jsonOut)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object: the documents and the totals")
	return cmd
}

// refImport is what `advisories import --json` prints.
type refImport struct {
	Documents []refImported `json:"documents"`
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	KeptNewer int           `json:"kept_newer"`
	Files     int           `json:"files"`
	Skipped   []string      `json:"skipped"`
}

type refImported struct {
	Kind    store.RefKind    `json:"kind"`
	ID      string           `json:"id"`
	Outcome store.RefOutcome `json:"outcome"`
	File    string           `json:"file"`
}

// importAdvisories parses and stores each file, reporting per document.
func importAdvisories(cmd *cobra.Command, a *app, files []string, jsonOut bool) error {
	ctx := cmd.Context()
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	counts := map[store.RefOutcome]int{}
	skipped := []string{}
	res := refImport{Documents: []refImported{}, Files: len(files)}
	pr := a.newProgress("advisories import", "files", int64(len(files)), jsonOut)
	for fi, name := range files {
		pr.Set(int64(fi))
		rows, err := readRefFile(name)
		if err != nil {
			fmt.Fprintf(a.stderr, "rounds: skipped %s\n", inert(err.Error()))
			skipped = append(skipped, name)
			continue
		}
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
			res.Documents = append(res.Documents, refImported{r.Kind, r.ID, outcomes[i], filepath.Base(name)})
			if !jsonOut {
				fmt.Fprintf(a.stdout, "%-8s %-24s %-10s %s\n", r.Kind, inert(r.ID), outcomes[i], inert(filepath.Base(name)))
			}
		}
	}
	pr.Done(int64(len(files)))
	a.log.Info("advisories import", "files", len(files), "skipped", len(skipped), "added", counts[store.RefAdded])
	if jsonOut {
		res.Added, res.Updated, res.Unchanged, res.KeptNewer = counts[store.RefAdded], counts[store.RefUpdated], counts[store.RefUnchanged], counts[store.RefKeptNewer]
		res.Skipped = skipped
		if err := writeJSON(a, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d kept newer; %d of %d files skipped\n",
			counts[store.RefAdded], counts[store.RefUpdated], counts[store.RefUnchanged], counts[store.RefKeptNewer], len(skipped), len(files))
	}
	if len(skipped) > 0 {
		return fmt.Errorf("%d of %d files skipped (malformed): %s", len(skipped), len(files), inert(strings.Join(skipped, ", ")))
	}
	return nil
}

// readRefFile reads and parses one file into store rows; errors name the
// file.
func readRefFile(name string) ([]store.RefDoc, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, advisory.MaxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	doc, err := advisory.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return advisory.RefDocs(doc, filepath.Base(name))
}

func newAdvisoriesListCmd(a *app) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the imported advisories and recalls",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.store(ctx)
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
