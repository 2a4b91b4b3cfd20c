package snipefake

// Behaviours of real Snipe-IT servers that the connector must survive. Each
// is taken from the Snipe-IT source (github.com/snipe/snipe-it at
// 5aa5c48018f2, v8.1.4), cited where it is reproduced.

import (
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

func parseStamp(v string) (time.Time, error) { return time.ParseInLocation(stamp, v, time.UTC) }

// messages are the localized texts of the answers rounds may see, from
// resources/lang/{en-US,fr-FR,de-DE}/admin/hardware/message.php
// ("does_not_exist") and the unique validation rule. A real server
// answers in APP_LOCALE (config/app.php 'locale'), so a client must never
// match them.
var messages = map[string]map[string]string{
	"en-US": {"does_not_exist": "Asset does not exist.", "unique": "The asset tag must be unique.",
		"updated": "Asset updated successfully.", "created": "Asset created successfully.", "audited": "Asset audited successfully."},
	"fr-FR": {"does_not_exist": "Ce bien n'existe pas.", "unique": "La valeur de asset tag est déjà utilisée.",
		"updated": "Bien actualisé correctement.", "created": "Le bien a été créé avec succès.", "audited": "Audit de l'actif réussi."},
	"de-DE": {"does_not_exist": "Asset existiert nicht.", "unique": "Asset Tag ist bereits vergeben.",
		"updated": "Asset erfolgreich aktualisiert.", "created": "Asset wurde erfolgreich erstellt.", "audited": "Asset erfolgreich geprüft."},
}

func (s *Server) msg(key string) string {
	m, ok := messages[s.Locale]
	if !ok {
		m = messages["en-US"]
	}
	return m[key]
}

// version compares "vX.Y.Z" strings; an unset Version is v8.1.4.
func (s *Server) atLeast(major, minor int) bool {
	v := s.Version
	if v == "" {
		v = "v8.1.4"
	}
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	ma, _ := strconv.Atoi(parts[0])
	mi := 0
	if len(parts) > 1 {
		mi, _ = strconv.Atoi(parts[1])
	}
	return ma > major || ma == major && mi >= minor
}

// serverTime renders a stored UTC stamp in the server's time zone:
// Helper::getFormattedDateObject formats the database value, which Laravel
// writes in APP_TIMEZONE (config/app.php 'timezone'), as "Y-m-d H:i:s"
// without any zone.
func (s *Server) serverTime(utc string) string {
	if s.Zone == nil || utc == "" {
		return utc
	}
	t, err := parseStamp(utc)
	if err != nil {
		return utc
	}
	return t.In(s.Zone).Format(stamp)
}

// tieKey orders assets that share an updated_at: MySQL returns rows with
// equal sort keys in no defined order, and it changes between queries
// (AssetsController::index sorts by the single column asked for, with no
// tie-breaker). Each list request draws a new order.
func tieKey(id, request int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strconv.Itoa(id) + "/" + strconv.Itoa(request)))
	return h.Sum64()
}

var (
	mdStrong = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\*\*([^*\n]+)\*\*|__([^_\n]+)__`) })
	mdEm     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\*([^*\n]+)\*`) })
	mdCode   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`([^`\n]+)`") })
	mdLink   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[([^\]\n]+)\]\(([^)\s]+)\)`) })
	mdURL    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[\s(])(https?://[^\s<]+[^\s<.,:;"')\]])`) })
)

// renderNotes is what the API sends for notes: AssetsTransformer renders
// them with Helper::parseEscapedMarkedownInline, which is Parsedown's
// line() in safe mode: HTML escaped (htmlspecialchars, ENT_QUOTES), then
// emphasis, code, links and bare URLs turned into tags. This is the subset
// of Parsedown 1.7 that technicians' notes use.
func renderNotes(src string) string {
	if src == "" {
		return ""
	}
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;").Replace
	// Code spans, links and bare URLs are found in the source and set
	// aside, so that emphasis markers inside them stay literal (as
	// Parsedown does); every piece of text is escaped once.
	var held []string
	hold := func(html string) string {
		held = append(held, html)
		return "\x00" + strconv.Itoa(len(held)-1) + "\x00"
	}
	s := strings.ReplaceAll(src, "\x00", "")
	s = mdCode().ReplaceAllStringFunc(s, func(m string) string { return hold("<code>" + esc(m[1:len(m)-1]) + "</code>") })
	s = mdLink().ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink().FindStringSubmatch(m)
		return hold(`<a href="` + esc(sub[2]) + `">` + esc(sub[1]) + `</a>`)
	})
	s = mdURL().ReplaceAllStringFunc(s, func(m string) string {
		sub := mdURL().FindStringSubmatch(m)
		return sub[1] + hold(`<a href="`+esc(sub[2])+`">`+esc(sub[2])+`</a>`)
	})
	s = esc(s)
	s = mdStrong().ReplaceAllStringFunc(s, func(m string) string { return "<strong>" + m[2:len(m)-2] + "</strong>" })
	s = mdEm().ReplaceAllString(s, "<em>$1</em>")
	for i, h := range held {
		s = strings.Replace(s, "\x00"+strconv.Itoa(i)+"\x00", h, 1)
	}
	return s
}

// RenderNotes exposes the notes rendering so that tests can state what the
// server shows.
func RenderNotes(src string) string { return renderNotes(src) }
