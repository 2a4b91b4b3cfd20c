package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/store"
)

// DefaultProvider is CISA's provider metadata, which lists its ICS and
// ICS medical (ICSMA) advisories.
const DefaultProvider = "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json"

// The outcomes of one document.
const (
	Imported = "imported"
	Skipped  = "skipped"
	Refused  = "refused"
)

// The reasons a document is refused or skipped. Refusals are about trust
// (the bytes are not what the provider signed); skips are filters.
const (
	ReasonHashMismatch     = "hash mismatch"
	ReasonMissingHash      = "missing hash"
	ReasonBadSignature     = "bad signature"
	ReasonMissingSignature = "missing signature"
	ReasonMalformed        = "malformed document"
	ReasonMissingDocument  = "missing document"
	ReasonTooLarge         = "document too large"
	ReasonNotPublic        = "not TLP:CLEAR/WHITE"
	ReasonNotMedical       = "not medical"
)

// AdvisoryOptions configures an advisory update.
type AdvisoryOptions struct {
	// Providers are provider-metadata.json URLs; empty means
	// DefaultProvider.
	Providers []string
	// All imports every public document, not only medical ones.
	All bool
	// AcceptNewKeys re-pins the provider's current OpenPGP keys when they
	// differ from those pinned; without it a change stops the update.
	AcceptNewKeys bool
	// RetryRefused fetches again documents refused before whose feed
	// entry has not changed.
	RetryRefused bool
	// HTTP is the client; nil means one with a 60 s timeout.
	HTTP *http.Client
	// Workers bounds parallel downloads; zero means 4.
	Workers int
	// Rate bounds requests per second to providers; zero means 10.
	Rate rate.Limit
	// Backoff is the first retry delay; zero means one second.
	Backoff time.Duration
	// Progress, if set, is called after each document.
	Progress func(Progress)
}

// Progress reports an update under way.
type Progress struct {
	Feed                       string
	Done, Total                int
	Imported, Skipped, Refused int
}

// DocResult is what happened to one document.
type DocResult struct {
	URL     string
	ID      string
	Outcome string
	Reason  string
	// Detail explains a refusal (the digest or signature error).
	Detail string
	// Stored is what the store did with an imported document.
	Stored store.RefOutcome
}

// ProviderReport sums up one provider's update.
type ProviderReport struct {
	Provider  string
	Publisher string
	// Keys are the fingerprints trusted; Pinned is set when they were
	// pinned by this run (first use, or AcceptNewKeys).
	Keys   []string
	Pinned bool
	// Unpinned are keys the provider now lists that are not pinned; they
	// verify nothing until pinned with AcceptNewKeys.
	Unpinned []string
	// Feeds are the ROLIE feeds or directory read; NotPublic lists the
	// feeds left alone for their TLP label.
	Feeds     []string
	NotPublic []string
	// Listed is the number of documents in the feeds; Unchanged those
	// handled before and not changed since.
	Listed, Unchanged int
	Results           []DocResult
	// Failed are documents not handled for a network or server error;
	// the next update tries them again.
	Failed []DocResult
	// Requests counts the HTTP requests sent.
	Requests int64
	// Watermark is the newest feed time of a complete pass.
	Watermark string
}

// Count returns how many results have the outcome.
func (r *ProviderReport) Count(outcome string) int {
	n := 0
	for _, d := range r.Results {
		if d.Outcome == outcome {
			n++
		}
	}
	return n
}

type csafJob struct {
	feed   string
	doc    string
	id     string
	stamp  string
	hashes []string
	sigs   []string
}

// UpdateAdvisories updates from each provider in turn. A provider that
// cannot be reached or whose keys changed is reported in the error and
// the others still update; everything already imported stays.
func UpdateAdvisories(ctx context.Context, st *store.Store, opts AdvisoryOptions) ([]ProviderReport, error) {
	providers := opts.Providers
	if len(providers) == 0 {
		providers = []string{DefaultProvider}
	}
	vendors, err := catalogVendors(ctx, st)
	if err != nil {
		return nil, err
	}
	var reports []ProviderReport
	var errs []error
	for _, p := range providers {
		p = MetadataURL(p)
		r, err := updateProvider(ctx, st, p, vendors, opts)
		reports = append(reports, r)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return reports, errors.Join(errs...)
}

// MetadataURL turns a provider given by its domain ("https://example.com")
// into its provider-metadata.json URL at the place the standard fixes
// (/.well-known/csaf/, CSAF 2.0 requirement 9); a URL ending in .json is
// kept as it is.
func MetadataURL(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Host == "" || strings.HasSuffix(strings.ToLower(u.Path), ".json") {
		return p
	}
	u.Path, u.RawPath = "/.well-known/csaf/provider-metadata.json", ""
	return u.String()
}

func catalogVendors(ctx context.Context, st *store.Store) ([]string, error) {
	models, err := st.Models(ctx)
	if err != nil {
		return nil, fmt.Errorf("feed: catalog: %w", err)
	}
	var out []string
	for _, m := range models {
		if m.Manufacturer != "" && !slices.Contains(out, m.Manufacturer) {
			out = append(out, m.Manufacturer)
		}
	}
	return out, nil
}

func updateProvider(ctx context.Context, st *store.Store, provider string, vendors []string, opts AdvisoryOptions) (rep ProviderReport, err error) {
	rep.Provider = provider
	lim := opts.Rate
	if lim == 0 {
		lim = 10
	}
	c := newClient(opts.HTTP, lim, 4, opts.Backoff)
	defer func() { rep.Requests = c.requests.Load() }()
	if _, err := resolve(provider, provider); err != nil {
		return rep, fmt.Errorf("provider %s: %w", provider, err)
	}
	raw, err := c.get(ctx, provider, maxMetadata)
	if err != nil {
		return rep, fmt.Errorf("provider %s: %w", provider, err)
	}
	md, err := ParseProviderMetadata(provider, raw)
	if err != nil {
		return rep, err
	}
	rep.Publisher = md.Publisher.Name
	keyring, err := providerKeys(ctx, st, c, provider, md, opts.AcceptNewKeys, &rep)
	if err != nil {
		return rep, err
	}
	jobs, err := listDocuments(ctx, c, provider, md, &rep)
	if err != nil {
		return rep, err
	}
	rep.Listed = len(jobs)
	ledgerKey := "csaf:" + provider
	ledger, err := st.FeedItems(ctx, ledgerKey)
	if err != nil {
		return rep, fmt.Errorf("feed: ledger: %w", err)
	}
	var todo []csafJob
	newest := ""
	for _, j := range jobs {
		newest = max(newest, j.stamp)
		if it, ok := ledger[j.doc]; ok && it.Stamp == j.stamp && (it.Outcome != Refused || !opts.RetryRefused) {
			rep.Unchanged++
			continue
		}
		todo = append(todo, j)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	var mu sync.Mutex // serialises store writes and the report
	prog := Progress{Feed: provider, Total: len(todo)}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, j := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			res, doc, err := processDoc(gctx, c, j, keyring, vendors, opts.All)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				rep.Failed = append(rep.Failed, DocResult{URL: j.doc, ID: j.id, Reason: err.Error()})
				return nil
			}
			err = st.Write(ctx, "rounds advisories update", func(w *store.Writer) error {
				if doc != nil {
					rows, err := RefDocs(*doc, j.doc)
					if err != nil {
						return err
					}
					for _, r := range rows {
						if res.Stored, err = w.PutRef(r); err != nil {
							return err
						}
					}
				}
				return w.PutFeedItem(store.FeedItem{Feed: ledgerKey, Item: j.doc, Stamp: j.stamp,
					Outcome: res.Outcome, Reason: res.Reason, DocID: res.ID})
			})
			if err != nil {
				return fmt.Errorf("feed: storing %s: %w", j.doc, err)
			}
			rep.Results = append(rep.Results, res)
			prog.Done++
			switch res.Outcome {
			case Imported:
				prog.Imported++
			case Skipped:
				prog.Skipped++
			case Refused:
				prog.Refused++
			}
			if opts.Progress != nil {
				opts.Progress(prog)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	slices.SortFunc(rep.Results, func(a, b DocResult) int { return strings.Compare(a.URL, b.URL) })
	if len(rep.Failed) > 0 {
		if allOffline(rep.Failed) {
			return rep, fmt.Errorf("provider %s: %w: %d documents not fetched; the next update resumes", provider, ErrOffline, len(rep.Failed))
		}
		return rep, fmt.Errorf("provider %s: %d documents not fetched (network or server errors); the next update tries them again", provider, len(rep.Failed))
	}
	if newest != "" {
		if err := st.Write(ctx, "rounds advisories update", func(w *store.Writer) error {
			return w.SetFeedMark(ledgerKey, newest)
		}); err != nil {
			return rep, fmt.Errorf("feed: watermark: %w", err)
		}
	}
	rep.Watermark = newest
	return rep, nil
}

func allOffline(rs []DocResult) bool {
	for _, r := range rs {
		if !strings.Contains(r.Reason, ErrOffline.Error()) {
			return false
		}
	}
	return true
}
