package secret

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedactor: a secret echoed raw, JSON-escaped, URL-encoded or in
// base64 between arbitrary text never survives redaction.
func FuzzRedactor(f *testing.F) {
	f.Add("pä\"ss\\wörd/1", "error: ", " end")
	f.Add("🔐Ünïcödé", "{\"m\":\"", "\"}")
	f.Add("p@ss:w0rd&x=1+2", "", "")
	f.Fuzz(func(t *testing.T, pw, pre, post string) {
		if len(pw) < 3 || !utf8.ValidString(pw) || strings.Contains(redacted, pw) ||
			strings.Contains(pre+post, pw) {
			return
		}
		r := Redactor(pw)
		j, _ := json.Marshal(pw)
		for _, echo := range []string{pw, string(j[1 : len(j)-1]), url.QueryEscape(pw), base64.StdEncoding.EncodeToString([]byte(pw))} {
			out := r.Replace(pre + echo + post)
			if strings.Contains(out, pw) && !strings.Contains(pre+post, pw) {
				// The raw secret may only appear if the surrounding text
				// and the replacement together spell it, which the guard
				// above excludes for the text; check the echo itself went.
				if strings.Contains(out, echo) {
					t.Fatalf("echo %q of %q survives in %q", echo, pw, out)
				}
			}
		}
	})
}
