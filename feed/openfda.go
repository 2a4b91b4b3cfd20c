package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/secret"
)

// DefaultOpenFDA is openFDA's API.
const DefaultOpenFDA = "https://api.fda.gov"

// openFDA's documented limits: a page holds at most 1000 results, skip
// goes no further than 25000, and a client may send 240 requests a
// minute (1000 a day without an API key, 120000 with one).
const (
	fdaMaxLimit = 1000
	fdaMaxSkip  = 25000
	fdaRate     = rate.Limit(240.0 / 60.0)
	// firmsPerQuery is one: openFDA's handling of OR between phrases is
	// reported to drop matches silently, and one firm per query costs a
	// request per firm, well inside the limits.
	firmsPerQuery = 1
	// overlap re-reads the end of the previous window: openFDA publishes
	// weekly and a report may appear after the date it carries.
	overlap = 30 * 24 * time.Hour
)

// Endpoint is one openFDA device endpoint and the date field its window
// searches.
type Endpoint struct {
	Path      string
	DateField string
	// DateLayout is how the field's dates are written in a search.
	DateLayout string
}

// The device endpoints a recall update reads.
var (
	Enforcement = Endpoint{Path: "device/enforcement.json", DateField: "report_date", DateLayout: "20060102"}
	Recall      = Endpoint{Path: "device/recall.json", DateField: "event_date_posted", DateLayout: "2006-01-02"}
)

// RecallOptions configures a recall update.
type RecallOptions struct {
	// BaseURL is openFDA's API; empty means DefaultOpenFDA.
	BaseURL string
	// Endpoints to read; empty means Enforcement and Recall.
	Endpoints []Endpoint
	// Manufacturers to search; empty means the catalog's.
	Manufacturers []string
	// Since starts the first window; zero means three years before Now.
	// Later updates start from the previous window's end less 30 days.
	Since time.Time
	// Now ends the window; zero means the current time.
	Now time.Time
	// PageSize is the limit per request; zero means 1000 (openFDA's most).
	PageSize int
	// APIKey raises openFDA's daily quota; it is sent, never printed.
	APIKey secret.Secret
	HTTP   *http.Client
	// Rate bounds requests; zero means openFDA's 240 a minute.
	Rate    rate.Limit
	Backoff time.Duration
	// Progress, if set, is called after each page.
	Progress func(RecallProgress)
}

// RecallProgress reports a recall update under way.
type RecallProgress struct {
	Endpoint     string
	Batch, Of    int
	Done, Total  int
	Added, Other int
}

// RecallReport sums up a recall update.
type RecallReport struct {
	From, To time.Time
	// Resumed is set when an interrupted update was continued.
	Resumed bool
	Pages   int
	// Records counts recalls stored by outcome.
	Records map[store.RefOutcome]int
	// BadPages lists pages whose records could not be read (the cursor
	// moves past them; fetching again would not change them).
	BadPages []string
	Requests int64
}

// fdaRun is the state of an update under way, stored after every page
// so that a killed run resumes at the next page.
type fdaRun struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Firms []string `json:"firms"`
	Batch int      `json:"batch"`
	Skip  int      `json:"skip"`
}

type fdaMeta struct {
	Meta struct {
		Results struct {
			Skip  int `json:"skip"`
			Limit int `json:"limit"`
			Total int `json:"total"`
		} `json:"results"`
	} `json:"meta"`
	Results []json.RawMessage `json:"results"`
}

// UpdateRecalls reads the device recalls and enforcement reports of the
// catalog's manufacturers published since the last update.
func UpdateRecalls(ctx context.Context, st *store.Store, opts RecallOptions) (rep RecallReport, err error) {
	rep.Records = map[store.RefOutcome]int{}
	base := opts.BaseURL
	if base == "" {
		base = DefaultOpenFDA
	}
	if _, err := resolve(base, base); err != nil {
		return rep, err
	}
	base = strings.TrimSuffix(base, "/") + "/"
	eps := opts.Endpoints
	if len(eps) == 0 {
		eps = []Endpoint{Enforcement, Recall}
	}
	firms := opts.Manufacturers
	if len(firms) == 0 {
		vs, err := catalogVendors(ctx, st)
		if err != nil {
			return rep, err
		}
		firms = vs
	}
	firms = searchTerms(firms)
	if len(firms) == 0 {
		return rep, errors.New("feed: no manufacturers to search: import a catalog first (rounds import catalog.csv)")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	limit := opts.PageSize
	if limit <= 0 || limit > fdaMaxLimit {
		limit = fdaMaxLimit
	}
	lim := opts.Rate
	if lim == 0 {
		lim = fdaRate
	}
	c := newClient(opts.HTTP, lim, 1, opts.Backoff)
	if !opts.APIKey.IsZero() {
		c.redact = opts.APIKey.Reveal()
	}
	defer func() { rep.Requests = c.requests.Load() }()
	for _, ep := range eps {
		if err := updateEndpoint(ctx, st, c, base, ep, firms, limit, now, opts, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// searchTerms turns manufacturer names into the words searched
// (normalised, legal suffixes dropped, no query syntax), sorted and
// unique so that the same catalog gives the same run.
func searchTerms(names []string) []string {
	var out []string
	for _, n := range names {
		t := advisory.NormalizeVendor(n)
		t = strings.Map(func(r rune) rune {
			if strings.ContainsRune(`"\:()[]{}^~*?!+-&|/`, r) {
				return ' '
			}
			return r
		}, t)
		t = strings.Join(strings.Fields(t), " ")
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

func updateEndpoint(ctx context.Context, st *store.Store, c *client, base string, ep Endpoint, firms []string, limit int, now time.Time, opts RecallOptions, rep *RecallReport) error {
	markKey := "openfda:" + ep.Path
	runKey := markKey + ":run"
	var run fdaRun
	raw, ok, err := st.FeedMark(ctx, runKey)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	if ok && json.Unmarshal([]byte(raw), &run) == nil && slices.Equal(run.Firms, firms) {
		rep.Resumed = true
	} else {
		from := opts.Since
		if mark, ok, err := st.FeedMark(ctx, markKey); err != nil {
			return fmt.Errorf("feed: %w", err)
		} else if ok {
			if t, err := time.Parse(time.DateOnly, mark); err == nil {
				from = t.Add(-overlap)
			}
		}
		if from.IsZero() {
			from = now.AddDate(-3, 0, 0)
		}
		run = fdaRun{From: from.UTC().Format(time.DateOnly), To: now.Format(time.DateOnly), Firms: firms}
	}
	from, _ := time.Parse(time.DateOnly, run.From)
	to, _ := time.Parse(time.DateOnly, run.To)
	if rep.From.IsZero() || from.Before(rep.From) {
		rep.From = from
	}
	rep.To = to
	batches := (len(firms) + firmsPerQuery - 1) / firmsPerQuery
	for ; run.Batch < batches; run.Batch, run.Skip = run.Batch+1, 0 {
		group := firms[run.Batch*firmsPerQuery : min(len(firms), (run.Batch+1)*firmsPerQuery)]
		var terms []string
		for _, f := range group {
			terms = append(terms, `recalling_firm:"`+f+`"`)
		}
		firmQ := strings.Join(terms, " OR ")
		if len(terms) > 1 {
			firmQ = "(" + firmQ + ")"
		}
		search := firmQ + " AND " + ep.DateField + ":[" +
			from.Format(ep.DateLayout) + " TO " + to.Format(ep.DateLayout) + "]"
		for {
			q := url.Values{}
			q.Set("search", search)
			q.Set("limit", strconv.Itoa(limit))
			q.Set("skip", strconv.Itoa(run.Skip))
			if c.redact != "" {
				q.Set("api_key", c.redact)
			}
			u := base + ep.Path + "?" + q.Encode()
			body, err := c.get(ctx, u, advisory.MaxDocument)
			var page fdaMeta
			switch {
			case errors.Is(err, ErrNotFound):
				// openFDA answers 404 {"error":{"code":"NOT_FOUND"}} when
				// nothing matches.
			case err != nil:
				return fmt.Errorf("openFDA %s: %w", ep.Path, err)
			default:
				if err := json.Unmarshal(body, &page); err != nil {
					return fmt.Errorf("openFDA %s: %w: page at skip %d: %v", ep.Path, ErrFormat, run.Skip, err)
				}
			}
			total := page.Meta.Results.Total
			if total > fdaMaxSkip+limit {
				return fmt.Errorf("openFDA %s: %d results for %s, more than openFDA pages (skip ≤ %d): use a later --since",
					ep.Path, total, strings.Join(group, ", "), fdaMaxSkip)
			}
			var rows []store.RefDoc
			name := fmt.Sprintf("openFDA %s skip %d", ep.Path, run.Skip)
			if len(page.Results) > 0 {
				doc, err := advisory.Parse(name, body)
				if err == nil {
					rows, err = RefDocs(doc, "openFDA "+ep.Path)
				}
				if err != nil {
					rep.BadPages = append(rep.BadPages, err.Error())
				}
			}
			next := run
			next.Skip += len(page.Results)
			done := len(page.Results) == 0 || next.Skip >= total
			state, _ := json.Marshal(next)
			outs := make([]store.RefOutcome, len(rows))
			err = st.Write(ctx, "rounds recalls update", func(w *store.Writer) error {
				for i, r := range rows {
					var err error
					if outs[i], err = w.PutRef(r); err != nil {
						return err
					}
				}
				return w.SetFeedMark(runKey, string(state))
			})
			if err != nil {
				return fmt.Errorf("feed: storing %s: %w", name, err)
			}
			run = next
			rep.Pages++
			for _, o := range outs {
				rep.Records[o]++
			}
			if opts.Progress != nil {
				opts.Progress(RecallProgress{Endpoint: ep.Path, Batch: run.Batch + 1, Of: batches, Done: run.Skip, Total: total,
					Added: rep.Records[store.RefAdded], Other: len(rows) - count(outs, store.RefAdded)})
			}
			if done {
				break
			}
		}
		if run.Batch+1 < batches {
			next := run
			next.Batch, next.Skip = run.Batch+1, 0
			state, _ := json.Marshal(next)
			if err := st.Write(ctx, "rounds recalls update", func(w *store.Writer) error {
				return w.SetFeedMark(runKey, string(state))
			}); err != nil {
				return fmt.Errorf("feed: %w", err)
			}
		}
	}
	return st.Write(ctx, "rounds recalls update", func(w *store.Writer) error {
		if err := w.SetFeedMark(markKey, run.To); err != nil {
			return err
		}
		return w.DeleteFeedMark(runKey)
	})
}

func count(outs []store.RefOutcome, o store.RefOutcome) int {
	n := 0
	for _, x := range outs {
		if x == o {
			n++
		}
	}
	return n
}
