package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

type fakeKeyring map[string]string

func (f fakeKeyring) Get(service, user string) (string, error) {
	if service != Service {
		return "", fmt.Errorf("wrong service %q", service)
	}
	v, ok := f[user]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

type brokenKeyring struct{}

func (brokenKeyring) Get(string, string) (string, error) {
	return "", errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
}

func TestSecretNeverPrints(t *testing.T) {
	s := New("hunter2-very-secret")
	type wrapper struct {
		Token Secret
	}
	outs := []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %+v %#v", s, s, s, s, s, s),
		fmt.Sprintf("%+v", wrapper{s}), fmt.Sprintf("%#v", wrapper{s}),
		fmt.Errorf("auth with %v failed", s).Error(),
	}
	b, _ := json.Marshal(wrapper{s})
	outs = append(outs, string(b))
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if s.Reveal() != "hunter2-very-secret" {
		t.Error("Reveal lost the value")
	}
}

func TestLookup(t *testing.T) {
	env := map[string]string{
		"ROUNDS_SNOW_PROD_PASSWORD": "from-env",
		"MY_TOKEN":                  "custom-env",
		"ROUNDS_SNOW_PROD_USER":     "svc_rounds",
	}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		src     Source
		kind    string
		opts    map[string]string
		want    string
		wantErr string
	}{
		{"keyring first", Source{Keyring: fakeKeyring{"snow-prod/password": "from-keyring"}, Getenv: getenv}, "password", nil, "from-keyring", ""},
		{"env fallback when keyring lacks it", Source{Keyring: fakeKeyring{}, Getenv: getenv}, "password", nil, "from-env", ""},
		{"env fallback when keyring is unreachable", Source{Keyring: brokenKeyring{}, Getenv: getenv}, "password", nil, "from-env", ""},
		{"no keyring at all", Source{Getenv: getenv}, "password", nil, "from-env", ""},
		{"option names the variable", Source{Getenv: getenv}, "token", map[string]string{"token_env": "MY_TOKEN"}, "custom-env", ""},
		{"missing names where to put it", Source{Getenv: getenv}, "token", nil, "", "ROUNDS_SNOW_PROD_TOKEN"},
		{"keyring error is reported", Source{Keyring: brokenKeyring{}, Getenv: getenv}, "token", nil, "", "ServiceUnknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.src.Lookup("snow-prod", tt.kind, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || s.Reveal() != tt.want {
				t.Fatalf("Lookup = %q, %v; want %q", s.Reveal(), err, tt.want)
			}
		})
	}
	if u := (Source{Getenv: getenv}).Value("snow-prod", "user", nil); u != "svc_rounds" {
		t.Errorf("Value(user) = %q", u)
	}
	if u := (Source{Getenv: getenv}).Value("snow-prod", "user", map[string]string{"user": "opt"}); u != "opt" {
		t.Errorf("Value(user) with option = %q", u)
	}
}

func TestOSKeyringWithoutBusFailsFast(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if !keyringReachable() {
		_, err := OSKeyring{}.Get(Service, "x/password")
		if !errors.Is(err, errNoKeyring) {
			t.Fatalf("err = %v, want errNoKeyring", err)
		}
		// And Lookup falls back to the environment cleanly.
		s, err := Source{Keyring: OSKeyring{}, Getenv: func(string) string { return "env" }}.Lookup("x", "password", nil)
		if err != nil || s.Reveal() != "env" {
			t.Fatalf("Lookup = %v, %v", s, err)
		}
	}
}

// Issue 13 item 16: a secret pasted into password_env is refused without
// being echoed; secrets in options are reported.
func TestSecretInEnvOptionNotEchoed(t *testing.T) {
	for _, v := range []string{"Tr0ub4dor&3!", "pä\"ss\\wörd", "hunter2 with space"} {
		_, err := Source{Getenv: func(string) string { return "" }}.Lookup("snow", "password", map[string]string{"password_env": v})
		if !errors.Is(err, ErrSecretInFile) || strings.Contains(err.Error(), v) {
			t.Errorf("password_env = %q: %v", v, err)
		}
	}
	// A name-shaped secret that is not set is not echoed either.
	_, err := Source{Getenv: func(string) string { return "" }}.Lookup("snow", "password", map[string]string{"password_env": "xK9mQ2pL7vR4"})
	if err == nil || strings.Contains(err.Error(), "xK9mQ2pL7vR4") {
		t.Errorf("unset odd name echoed: %v", err)
	}
	_, err = Source{Getenv: func(string) string { return "" }}.Lookup("snow", "password", map[string]string{"password_env": "SNOW_PW"})
	if err == nil || !strings.Contains(err.Error(), "SNOW_PW") {
		t.Errorf("a variable name should be named: %v", err)
	}
	if got := InFile(map[string]string{"user": "svc", "password": "x", "token": "y"}); len(got) != 2 {
		t.Errorf("InFile = %v", got)
	}
}

// TestEnvNameMatchesRegexp: the hand-written checks accept exactly what
// the regular expressions they replaced accepted.
func TestEnvNameMatchesRegexp(t *testing.T) {
	env := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	upper := regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	cases := []string{"", "A", "_", "9", "A9", "a_b", "ROUNDS_SNOW_PASSWORD", "snow password", "X-Y", "é",
		"A\x00", strings.Repeat("A", 128), strings.Repeat("A", 129), "_9", "a9Z", "Z_", " A", "A "}
	for _, c := range cases {
		if got, want := isEnvName(c), env.MatchString(c); got != want {
			t.Errorf("isEnvName(%q) = %v, the regexp says %v", c, got, want)
		}
		if got, want := looksLikeEnvName(c), upper.MatchString(c); got != want {
			t.Errorf("looksLikeEnvName(%q) = %v, the regexp says %v", c, got, want)
		}
	}
}
