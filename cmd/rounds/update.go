package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/feed"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/secret"
)

// feedHTTP is the client the update commands use; tests leave it alone
// (they point --provider and --base-url at loopback servers).
var feedHTTP = &http.Client{Timeout: 60 * time.Second}

func newAdvisoriesUpdateCmd(a *app) *cobra.Command {
	var opts feed.AdvisoryOptions
	var verbose bool
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch new CSAF advisories from providers, verified, medical ones only",
		Long: `Fetch the advisories published since the last update from CSAF 2.0 providers
(default: CISA's provider-metadata.json), following their ROLIE feeds or their
directory distribution (changes.csv, index.txt).

Only TLP:CLEAR/WHITE documents are kept, and by default only medical ones: ICS
medical advisories (ICSMA) and any document whose product tree names a
manufacturer of the catalog (--all keeps every public document). Each document
is verified before import: its SHA-512 (or SHA-256) file against its bytes, and
its OpenPGP signature against the provider's keys. The keys' fingerprints are
pinned on first use and printed; if the provider later lists other keys the
update stops until you check them and pass --accept-new-keys. A document that
fails is not imported and is listed with the reason.

The update is incremental and resumable: a document handled is recorded with the
import, so a run interrupted (network, kill) continues where it stopped, and the
next run fetches only what changed. Offline, nothing changes and everything
already imported keeps working.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.store(ctx)
			if err != nil {
				return err
			}
			opts.HTTP = feedHTTP
			opts.Progress = progressPrinter(a.stderr, func(p feed.Progress) string {
				return fmt.Sprintf("advisories: %d/%d documents (%d imported, %d skipped, %d refused)", p.Done, p.Total, p.Imported, p.Skipped, p.Refused)
			})
			reps, err := feed.UpdateAdvisories(ctx, st, opts)
			for _, r := range reps {
				printProviderReport(a.stdout, r, verbose)
			}
			if err != nil {
				return offlineHint(ctx, st, err, store.RefAdvisory, "advisories")
			}
			for _, r := range reps {
				if r.Count(feed.Refused) > 0 {
					return fmt.Errorf("%d documents refused (not imported); see above", r.Count(feed.Refused))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&opts.Providers, "provider", nil, "provider-metadata.json `URL`, or the provider's root for /.well-known/csaf/ (repeatable; default CISA's)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "keep every public advisory, not only medical ones")
	cmd.Flags().BoolVar(&opts.AcceptNewKeys, "accept-new-keys", false, "pin the provider's current OpenPGP keys when they differ from those pinned")
	cmd.Flags().BoolVar(&opts.RetryRefused, "retry-refused", false, "fetch again documents refused before even if their feed entry did not change")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list skipped documents and unpinned keys too")
	return cmd
}

func printProviderReport(w io.Writer, r feed.ProviderReport, verbose bool) {
	pub := ""
	if r.Publisher != "" {
		pub = " (" + inert(r.Publisher) + ")"
	}
	fmt.Fprintf(w, "provider %s%s\n", inert(r.Provider), pub)
	if len(r.Keys) > 0 {
		if r.Pinned {
			fmt.Fprintf(w, "  OpenPGP keys pinned now: %s (check them with the provider)\n", inert(strings.Join(r.Keys, ", ")))
		} else {
			fmt.Fprintf(w, "  OpenPGP keys (pinned): %s\n", inert(strings.Join(r.Keys, ", ")))
		}
	}
	if len(r.Unpinned) > 0 {
		fmt.Fprintf(w, "  not trusted (not pinned; --accept-new-keys to pin): %s\n", inert(strings.Join(r.Unpinned, ", ")))
	}
	for _, f := range r.NotPublic {
		fmt.Fprintf(w, "  feed left alone (not TLP:CLEAR/WHITE): %s\n", inert(f))
	}
	for _, d := range r.Results {
		switch {
		case d.Outcome == feed.Imported:
			fmt.Fprintf(w, "  imported %-18s %-10s %s\n", inert(d.ID), d.Stored, inert(d.URL))
		case d.Outcome == feed.Refused:
			fmt.Fprintf(w, "  REFUSED  %-18s %s: %s (%s)\n", inert(d.ID), d.Reason, inert(d.URL), inert(clipText(d.Detail, 200)))
		case verbose:
			fmt.Fprintf(w, "  skipped  %-18s %s %s\n", inert(d.ID), d.Reason, inert(d.Detail))
		}
	}
	for _, d := range r.Failed {
		fmt.Fprintf(w, "  not fetched %s: %s\n", inert(d.URL), inert(clipText(d.Reason, 200)))
	}
	fmt.Fprintf(w, "  %d listed, %d unchanged since last update, %d imported, %d skipped, %d refused, %d not fetched; %d requests\n",
		r.Listed, r.Unchanged, r.Count(feed.Imported), r.Count(feed.Skipped), r.Count(feed.Refused), len(r.Failed), r.Requests)
}

func newRecallsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recalls",
		Short: "Fetch device recalls from openFDA",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("recalls needs a command: update")
		},
	}
	cmd.AddCommand(newRecallsUpdateCmd(a))
	return cmd
}

func newRecallsUpdateCmd(a *app) *cobra.Command {
	var opts feed.RecallOptions
	var since string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch the catalog manufacturers' device recalls and enforcement reports from openFDA",
		Long: `Fetch device recalls (device/recall) and enforcement reports (device/enforcement)
from openFDA for the catalog's manufacturers, published since the last update
(the first update reads three years back, or from --since).

Pages are requested with skip/limit within openFDA's documented limits (240
requests a minute; 1000 a day without an API key, 120000 with one). The API key
is optional: keyring entry "openfda/api_key" of service "rounds", or the
environment variable ROUNDS_OPENFDA_API_KEY. Importing is idempotent and the
update resumes where it stopped if interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if since != "" {
				t, err := time.Parse(time.DateOnly, since)
				if err != nil {
					return usagef("--since %q: want YYYY-MM-DD", inert(since))
				}
				opts.Since = t
			}
			st, err := a.store(ctx)
			if err != nil {
				return err
			}
			key, err := secret.Source{Keyring: secret.OSKeyring{}}.Lookup("openfda", "api_key", nil)
			if err == nil {
				opts.APIKey = key
			} else {
				fmt.Fprintln(a.stderr, "rounds: no openFDA API key (keyring openfda/api_key or ROUNDS_OPENFDA_API_KEY): 1000 requests a day")
			}
			opts.HTTP = feedHTTP
			opts.Progress = progressPrinter(a.stderr, func(p feed.RecallProgress) string {
				return fmt.Sprintf("recalls: %s batch %d/%d: %d/%d records", p.Endpoint, p.Batch, p.Of, p.Done, p.Total)
			})
			rep, err := feed.UpdateRecalls(ctx, st, opts)
			resumed := ""
			if rep.Resumed {
				resumed = " (resumed an interrupted update)"
			}
			if !rep.From.IsZero() {
				fmt.Fprintf(a.stdout, "openFDA %s to %s%s\n", store.FormatDate(rep.From), store.FormatDate(rep.To), resumed)
			}
			for _, b := range rep.BadPages {
				fmt.Fprintf(a.stdout, "  unreadable page: %s\n", inert(clipText(b, 200)))
			}
			fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d kept newer; %d pages, %d requests\n",
				rep.Records[store.RefAdded], rep.Records[store.RefUpdated], rep.Records[store.RefUnchanged], rep.Records[store.RefKeptNewer], rep.Pages, rep.Requests)
			if err != nil {
				return offlineHint(ctx, st, err, store.RefRecall, "recalls")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.BaseURL, "base-url", "", "openFDA API `URL` (default "+feed.DefaultOpenFDA+")")
	cmd.Flags().StringVar(&since, "since", "", "start of the first window, `YYYY-MM-DD` (default three years ago)")
	cmd.Flags().StringArrayVar(&opts.Manufacturers, "manufacturer", nil, "search this manufacturer `name` instead of the catalog's (repeatable)")
	cmd.Flags().IntVar(&opts.PageSize, "page-size", 0, "records per request (default and most: 1000)")
	return cmd
}

// offlineHint turns an offline error into a clear message saying what
// still works.
func offlineHint(ctx context.Context, st *store.Store, err error, kind store.RefKind, what string) error {
	if !errors.Is(err, feed.ErrOffline) {
		return err
	}
	n := 0
	if ds, e := st.Refs(ctx, kind); e == nil {
		n = len(ds)
	}
	return fmt.Errorf("offline, nothing more updated: %w\nthe %d %s already on this laptop still work; run the update again when online (it resumes)", err, n, what)
}

// progressPrinter prints progress to w at most once a second, and the
// last state when a run ends is left to the report.
func progressPrinter[T any](w io.Writer, format func(T) string) func(T) {
	var mu sync.Mutex
	var last time.Time
	return func(p T) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintln(w, format(p))
	}
}
