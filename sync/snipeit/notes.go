package snipeit

import (
	"html"
	"regexp"
	"strings"
	"sync"
)

// Snipe-IT sends notes rendered: AssetsTransformer passes them through
// Helper::parseEscapedMarkedownInline (Parsedown::line in safe mode), so
// "**x**" arrives as "<strong>x</strong>", a URL as an <a> element and "&"
// as "&amp;". The source text is not in the API. unrender turns the
// rendering back into Markdown source that renders the same, so that
// appending a note and writing the field back keeps the central note as
// its author wrote it (emphasis written *x* comes back as *x*, _x_ as *x*:
// the same rendering). Known limit: literal marker characters next to
// emphasis ("**0__0__") have no unambiguous source without backslash
// escapes, and may render differently once written back.

var tagRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`<(/?)(strong|em|code|del|a|br)((?:\s+[a-z]+="[^"]*")*)\s*/?>`)
})
var hrefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`href="([^"]*)"`) })

// unrender converts rendered notes back to their Markdown source. Text
// without tags is only unescaped.
func unrender(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	type open struct{ tag, href string }
	var stack []open
	var linkText strings.Builder
	inLink := false
	emit := func(t string) {
		if inLink {
			linkText.WriteString(t)
		} else {
			b.WriteString(t)
		}
	}
	openAt := map[string]int{}
	last := 0
	for _, m := range tagRE().FindAllStringSubmatchIndex(s, -1) {
		emit(html.UnescapeString(s[last:m[0]]))
		last = m[1]
		closing := s[m[2]:m[3]] == "/"
		tag := s[m[4]:m[5]]
		attrs := s[m[6]:m[7]]
		switch tag {
		case "br":
			emit("  ")
		case "strong", "em":
			// The marker not used inside the element, so that nested
			// emphasis reads back unambiguously.
			star, under := "**", "__"
			if tag == "em" {
				star, under = "*", "_"
			}
			var inner string
			if closing {
				inner = s[openAt[tag]:m[0]]
			} else if end := strings.Index(s[m[1]:], "</"+tag+">"); end >= 0 {
				inner = s[m[1] : m[1]+end]
				openAt[tag] = m[1]
			}
			if strings.Contains(inner, "*") || strings.Contains(inner, "<em>") || strings.Contains(inner, "<strong>") {
				emit(under)
			} else {
				emit(star)
			}
		case "code":
			emit("`")
		case "del":
			emit("~~")
		case "a":
			if !closing {
				href := ""
				if h := hrefRE().FindStringSubmatch(attrs); h != nil {
					href = html.UnescapeString(h[1])
				}
				stack = append(stack, open{"a", href})
				inLink = true
				linkText.Reset()
				continue
			}
			if len(stack) == 0 {
				continue
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			inLink = false
			if t := linkText.String(); t == o.href {
				b.WriteString(t)
			} else {
				b.WriteString("[" + t + "](" + o.href + ")")
			}
		}
	}
	emit(html.UnescapeString(s[last:]))
	if inLink {
		b.WriteString(linkText.String())
	}
	return b.String()
}

// notesOf reads the notes of an asset row as Markdown source.
func notesOf(raw []byte) string {
	return unrender(rawText(raw))
}
