package report

import (
	_ "embed"
	"html/template"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/reconcile"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed on first use, not at the start of every command.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"inert":     inert.String,
		"kindTitle": KindTitle,
		"flagLabel": FlagLabel,
		"flagTitle": FlagTitle,
		"subject": func(f Finding) [2]string {
			t, m := Subject(f.Finding)
			return [2]string{t, m}
		},
		"seen":    func(f Finding) string { return Seen(f.Finding) },
		"kinds":   func() []reconcile.Kind { return reconcile.Kinds },
		"sorted":  sortedCopy,
		"safeURL": safeURL,
		"severity": func(s reconcile.Severity) string {
			switch s {
			case reconcile.Critical:
				return "critical"
			case reconcile.Warning:
				return "warning"
			}
			return "info"
		},
		"sortedFlags": SortedFlagKinds,
		"lower":       strings.ToLower,
	}).Parse(htmlSource))
})

func sortedCopy(fs []Finding) []Finding {
	out := append([]Finding(nil), fs...)
	SortFindings(out)
	return out
}

// safeURL returns u when it is an http or https URL, "" otherwise, so
// that an advisory file cannot plant a javascript: link in the report.
func safeURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// WriteHTML renders the report as one self-contained HTML page (no
// scripts, no outside resources) laid out for printing on A4 or Letter.
func WriteHTML(w io.Writer, r Report) error {
	return htmlTemplate().Execute(w, struct {
		Report
		Totals Totals
	}{r, r.Totals()})
}
