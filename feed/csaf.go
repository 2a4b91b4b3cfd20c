package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
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
					rows, err := refDocs(*doc, j.doc)
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

// providerKeys fetches the provider's public keys, keeps those whose
// fingerprint the metadata declares, and checks them against the pins:
// pinned on first use (or with acceptNew), else only pinned keys are
// trusted and none pinned left is ErrKeyChanged.
func providerKeys(ctx context.Context, st *store.Store, c *client, provider string, md *ProviderMetadata, acceptNew bool, rep *ProviderReport) (openpgp.EntityList, error) {
	offered := map[string]*openpgp.Entity{}
	var keyErrs []string
	for i, k := range md.PublicKeys {
		u, err := resolve(provider, k.URL)
		if err != nil {
			keyErrs = append(keyErrs, fmt.Sprintf("public_openpgp_keys[%d]: %v", i, err))
			continue
		}
		b, err := c.get(ctx, u, maxMetadata)
		if err != nil {
			if errors.Is(err, ErrOffline) || ctx.Err() != nil {
				return nil, fmt.Errorf("provider %s: key: %w", provider, err)
			}
			keyErrs = append(keyErrs, err.Error())
			continue
		}
		ents, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		if err != nil {
			ents, err = openpgp.ReadKeyRing(bytes.NewReader(b))
		}
		if err != nil {
			keyErrs = append(keyErrs, fmt.Sprintf("%s: not an OpenPGP key: %v", u, err))
			continue
		}
		want := NormalizeFingerprint(k.Fingerprint)
		found := false
		for _, e := range ents {
			fp := strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
			if want == "" || fp == want {
				offered[fp] = e
				found = true
			}
		}
		if !found {
			keyErrs = append(keyErrs, fmt.Sprintf("%s: no key with the declared fingerprint %s", u, want))
		}
	}
	if len(offered) == 0 {
		return nil, fmt.Errorf("provider %s: %w: no usable OpenPGP key (%s)", provider, ErrFormat, strings.Join(keyErrs, "; "))
	}
	fps := make([]string, 0, len(offered))
	for fp := range offered {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	pins, err := st.FeedPins(ctx, provider)
	if err != nil {
		return nil, fmt.Errorf("feed: pins: %w", err)
	}
	if len(pins) == 0 || (acceptNew && !slices.Equal(pins, fps)) {
		if err := st.Write(ctx, "rounds advisories update", func(w *store.Writer) error {
			return w.PinFeedKeys(provider, fps)
		}); err != nil {
			return nil, fmt.Errorf("feed: pinning keys: %w", err)
		}
		rep.Keys, rep.Pinned = fps, true
		pins = fps
	}
	var ring openpgp.EntityList
	for _, fp := range fps {
		if slices.Contains(pins, fp) {
			ring = append(ring, offered[fp])
			if !rep.Pinned {
				rep.Keys = append(rep.Keys, fp)
			}
		} else {
			rep.Unpinned = append(rep.Unpinned, fp)
		}
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("provider %s: %w: pinned %s, the provider now lists %s; check the new key with the provider and run again with --accept-new-keys",
			provider, ErrKeyChanged, strings.Join(pins, ", "), strings.Join(fps, ", "))
	}
	return ring, nil
}

// listDocuments reads the provider's public ROLIE feeds, else its
// directory's changes.csv (else index.txt).
func listDocuments(ctx context.Context, c *client, provider string, md *ProviderMetadata, rep *ProviderReport) ([]csafJob, error) {
	var jobs []csafJob
	seen := map[string]bool{}
	add := func(j csafJob) {
		if !seen[j.doc] {
			seen[j.doc] = true
			jobs = append(jobs, j)
		}
	}
	rolie := false
	for _, d := range md.Distributions {
		if d.ROLIE == nil {
			continue
		}
		for _, f := range d.ROLIE.Feeds {
			rolie = true
			u, err := resolve(provider, f.URL)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", provider, err)
			}
			if f.TLPLabel != "" && !PublicTLP(f.TLPLabel) {
				rep.NotPublic = append(rep.NotPublic, u)
				continue
			}
			b, err := c.get(ctx, u, maxIndex)
			if err != nil {
				return nil, fmt.Errorf("provider %s: feed: %w", provider, err)
			}
			feed, err := ParseROLIE(u, b)
			if err != nil {
				return nil, err
			}
			rep.Feeds = append(rep.Feeds, u)
			for _, e := range feed.Feed.Entry {
				doc, err := resolve(u, e.DocURL())
				if err != nil {
					// One bad entry does not stop the feed.
					rep.Results = append(rep.Results, DocResult{URL: clip(e.DocURL()), ID: e.ID, Outcome: Refused,
						Reason: ReasonMalformed, Detail: err.Error()})
					continue
				}
				j := csafJob{feed: u, doc: doc, id: e.ID, stamp: e.Updated}
				if j.stamp == "" {
					j.stamp = e.Published
				}
				for _, h := range e.Links("hash") {
					if r, err := resolve(u, h); err == nil {
						j.hashes = append(j.hashes, r)
					}
				}
				for _, s := range e.Links("signature") {
					if r, err := resolve(u, s); err == nil {
						j.sigs = append(j.sigs, r)
					}
				}
				add(j)
			}
		}
	}
	if rolie {
		return jobs, nil
	}
	for _, d := range md.Distributions {
		if d.DirectoryURL == "" {
			continue
		}
		dir, err := resolve(provider, d.DirectoryURL)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", provider, err)
		}
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
		rep.Feeds = append(rep.Feeds, dir)
		chURL := dir + "changes.csv"
		b, err := c.get(ctx, chURL, maxIndex)
		switch {
		case err == nil:
			changes, err := ParseChanges(chURL, b)
			if err != nil {
				return nil, err
			}
			for _, ch := range changes {
				doc, err := resolve(dir, ch.Path)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", chURL, err)
				}
				add(csafJob{feed: dir, doc: doc, stamp: ch.Stamp})
			}
		case errors.Is(err, ErrNotFound):
			// index.txt has no times: a listed document is fetched once.
			ixURL := dir + "index.txt"
			b, err := c.get(ctx, ixURL, maxIndex)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", provider, err)
			}
			paths, err := ParseIndex(ixURL, b)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				doc, err := resolve(dir, p)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", ixURL, err)
				}
				add(csafJob{feed: dir, doc: doc})
			}
		default:
			return nil, fmt.Errorf("provider %s: %w", provider, err)
		}
	}
	return jobs, nil
}

// processDoc fetches, filters and verifies one document. An error is a
// network or server failure (tried again next time); a refusal or skip is
// a result.
func processDoc(ctx context.Context, c *client, j csafJob, ring openpgp.EntityList, vendors []string, all bool) (DocResult, *advisory.Document, error) {
	res := DocResult{URL: j.doc, ID: j.id}
	refuse := func(reason, detail string) (DocResult, *advisory.Document, error) {
		res.Outcome, res.Reason, res.Detail = Refused, reason, detail
		return res, nil, nil
	}
	data, err := c.get(ctx, j.doc, advisory.MaxDocument)
	if err != nil {
		switch {
		case errors.Is(err, ErrFormat):
			return refuse(ReasonTooLarge, err.Error())
		case errors.Is(err, ErrNotFound):
			// Listed but absent: the provider's mistake, recorded so that
			// it does not fail every update; a changed entry is retried.
			return refuse(ReasonMissingDocument, err.Error())
		}
		return res, nil, err
	}
	label, err := TLPLabel(data)
	if err != nil {
		return refuse(ReasonMalformed, err.Error())
	}
	doc, err := advisory.Parse(j.doc, data)
	if err != nil {
		return refuse(ReasonMalformed, err.Error())
	}
	if doc.Kind != advisory.KindCSAF || doc.Advisory == nil {
		return refuse(ReasonMalformed, "not a CSAF document")
	}
	res.ID = doc.Advisory.ID
	if !PublicTLP(label) {
		res.Outcome, res.Reason = Skipped, ReasonNotPublic
		res.Detail = "TLP:" + label
		if label == "" {
			res.Detail = "no TLP label"
		}
		return res, nil, nil
	}
	if !all {
		if ok, _ := Medical(doc.Advisory, vendors); !ok {
			res.Outcome, res.Reason = Skipped, ReasonNotMedical
			return res, nil, nil
		}
	}
	reason, detail, err := verifyHash(ctx, c, j, data)
	if err != nil {
		return res, nil, err
	}
	if reason != "" {
		return refuse(reason, detail)
	}
	sigURL := j.doc + ".asc"
	if len(j.sigs) > 0 {
		sigURL = j.sigs[0]
	}
	sig, err := c.get(ctx, sigURL, maxSmall)
	switch {
	case errors.Is(err, ErrNotFound):
		return refuse(ReasonMissingSignature, sigURL)
	case errors.Is(err, ErrFormat):
		return refuse(ReasonBadSignature, err.Error())
	case err != nil:
		return res, nil, err
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), bytes.NewReader(sig), nil); err != nil {
		return refuse(ReasonBadSignature, err.Error())
	}
	res.Outcome = Imported
	return res, &doc, nil
}

// verifyHash checks the document against the first hash file found: the
// feed's hash links, else NAME.sha512, else NAME.sha256.
func verifyHash(ctx context.Context, c *client, j csafJob, data []byte) (reason, detail string, err error) {
	cands := j.hashes
	if len(cands) == 0 {
		cands = []string{j.doc + ".sha512", j.doc + ".sha256"}
	}
	slices.SortStableFunc(cands, func(a, b string) int { return hashRank(a) - hashRank(b) })
	for _, u := range cands {
		b, err := c.get(ctx, u, maxSmall)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case errors.Is(err, ErrFormat):
			return ReasonHashMismatch, err.Error(), nil
		case err != nil:
			return "", "", err
		}
		var got []byte
		var want []byte
		algo := ""
		switch {
		case strings.HasSuffix(strings.ToLower(u), ".sha256") || (hashRank(u) == 2 && len(strings.Fields(string(b))) > 0 && len(strings.Fields(string(b))[0]) == 64):
			s := sha256.Sum256(data)
			got, algo = s[:], "SHA-256"
			want, err = ParseHash(u, b, sha256.Size)
		default:
			s := sha512.Sum512(data)
			got, algo = s[:], "SHA-512"
			want, err = ParseHash(u, b, sha512.Size)
		}
		if err != nil {
			return ReasonHashMismatch, err.Error(), nil
		}
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return ReasonHashMismatch, fmt.Sprintf("%s of the document is %x, %s says %x", algo, got, u, want), nil
		}
		return "", "", nil
	}
	return ReasonMissingHash, strings.Join(cands, ", "), nil
}

func hashRank(u string) int {
	l := strings.ToLower(u)
	switch {
	case strings.HasSuffix(l, ".sha512"):
		return 0
	case strings.HasSuffix(l, ".sha256"):
		return 1
	}
	return 2
}

// Medical reports whether an advisory is for medical devices: an ICSMA
// advisory, or one whose product tree names a vendor of the catalog.
func Medical(a *advisory.Advisory, vendors []string) (bool, string) {
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(a.ID)), "ICSMA") {
		return true, "ICS medical advisory"
	}
	for _, p := range a.Products {
		for _, v := range vendors {
			if ok, _ := advisory.MatchVendor(p.Vendor, v); ok {
				return true, "names catalog vendor " + v
			}
		}
	}
	return false, ""
}
