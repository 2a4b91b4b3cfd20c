package transport

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/biomed-rounds/rounds/sync/secret"
)

// awkward are passwords whose encodings differ from the raw text (issue
// 13 item 16): non-ASCII, quotes, backslashes, URL and HTML specials,
// astral characters.
var awkward = []string{
	`pä"ss\wörd/1`,
	`p@ss:w0rd&x=1+2%41`,
	"🔐Ünïcödé-pass",
	`<script>&'quote'`,
	"tab\tand\\back",
	"plain-ascii-Passw0rd",
}

// echoes are what servers send back, built independently of
// secret.Forms: Go and PHP JSON escapes, query and form encodings, base64
// of the password and of the basic-auth pair.
func echoes(user, pw string) map[string]string {
	j, _ := json.Marshal(pw)
	php := `"` + phpEncode(pw) + `"`
	return map[string]string{
		"raw":         pw,
		"json":        string(j[1 : len(j)-1]),
		"php-json":    php[1 : len(php)-1],
		"query":       url.QueryEscape(pw),
		"path":        url.PathEscape(pw),
		"base64":      base64.StdEncoding.EncodeToString([]byte(pw)),
		"base64-pair": base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)),
		"base64url":   base64.RawURLEncoding.EncodeToString([]byte(pw)),
	}
}

// phpEncode is json_encode's default string escaping: "/" escaped, every
// non-ASCII UTF-16 unit as \uxxxx.
func phpEncode(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u == '"' || u == '\\' || u == '/':
			b.WriteString(`\` + string(rune(u)))
		case u == '\t':
			b.WriteString(`\t`)
		case u < 0x20 || u > 0x7e:
			b.WriteString(fmt.Sprintf(`\u%04x`, u))
		default:
			b.WriteRune(rune(u))
		}
	}
	return b.String()
}

func TestRedactsEveryEncoding(t *testing.T) {
	for _, pw := range awkward {
		for kind, echo := range echoes("svc", pw) {
			t.Run(strconv.Quote(pw)+"/"+kind, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusBadRequest)
					io.WriteString(w, `{"error":{"message":"bad credentials `+echo+`","detail":"`+echo+`"}}`)
				}))
				defer srv.Close()
				c, err := New(Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: Basic("svc", secret.New(pw)), MaxAttempts: 1})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Do(context.Background(), Request{Method: http.MethodGet, Path: "/x", Idempotent: true})
				if err == nil {
					t.Fatal("no error")
				}
				msg := err.Error()
				var te *Error
				if errors.As(err, &te) {
					msg += te.Body
				}
				for k, form := range echoes("svc", pw) {
					if len(form) >= 3 && strings.Contains(msg, form) {
						t.Errorf("%s form of the password leaks: %q", k, msg)
					}
				}
			})
		}
	}
}

func TestPlainHTTPRefusedUnlessAllowed(t *testing.T) {
	_, err := New(Config{BaseURL: "http://cmdb.hospital.example"})
	if !errors.Is(err, ErrInsecure) {
		t.Fatalf("plain http accepted: %v", err)
	}
	if _, err := New(Config{BaseURL: "http://cmdb.hospital.example", AllowInsecureHTTP: true}); err != nil {
		t.Fatalf("allowed http refused: %v", err)
	}
	if _, err := New(Config{BaseURL: "https://cmdb.hospital.example"}); err != nil {
		t.Fatal(err)
	}
}
