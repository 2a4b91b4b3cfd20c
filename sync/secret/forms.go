package secret

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Forms returns the ways a server may echo a secret back: as is,
// JSON-escaped (Go's and PHP's json_encode, which escapes "/" and writes
// non-ASCII as \uXXXX), URL-encoded (query and path), HTML-escaped, and
// base64 (standard and URL alphabets, padded or not). Redaction replaces
// every form, longest first, so that no encoding of a secret reaches a
// message, the database or the terminal.
func Forms(v string) []string {
	if v == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(v)
	if b, err := json.Marshal(v); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	var js strings.Builder // Go without HTML escaping
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		s := strings.TrimSpace(js.String())
		add(s[1 : len(s)-1])
	}
	for _, upper := range []bool{false, true} {
		add(phpJSON(v, upper))
	}
	add(url.QueryEscape(v))
	add(url.PathEscape(v))
	add(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	add(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;").Replace(v))
	add(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(v))
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(e.EncodeToString([]byte(v)))
	}
	return out
}

// phpJSON is PHP's json_encode of a string, without the quotes: "/"
// escaped, non-ASCII as \uXXXX (UTF-16), control characters as \uXXXX.
func phpJSON(v string, upper bool) string {
	var b strings.Builder
	hex := "%04x"
	if upper {
		hex = "%04X"
	}
	for _, r := range v {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r > 0x7e:
			if r == utf8.RuneError {
				continue
			}
			if r > 0xffff {
				r -= 0x10000
				fmt.Fprintf(&b, `\u`+hex+`\u`+hex, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				continue
			}
			fmt.Fprintf(&b, `\u`+hex, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Redactor returns a replacer of every form of every secret (values
// shorter than 3 bytes are left alone: they would redact ordinary text).
func Redactor(values ...string) *strings.Replacer {
	var forms []string
	for _, v := range values {
		if len(v) < 3 {
			continue
		}
		forms = append(forms, Forms(v)...)
	}
	// Longest first, so that an encoded form is replaced whole before a
	// shorter one inside it.
	for i := 1; i < len(forms); i++ {
		for j := i; j > 0 && len(forms[j]) > len(forms[j-1]); j-- {
			forms[j], forms[j-1] = forms[j-1], forms[j]
		}
	}
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redacted)
	}
	return strings.NewReplacer(pairs...)
}
