package secret

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/zalando/go-keyring"
)

// Secret holds a credential. Its String, GoString and Format methods print
// "[redacted]", and it marshals to JSON as that, so that logging or
// wrapping a value that contains one does not leak it; Reveal is the one
// way to read it.
type Secret struct{ v string }

// New wraps a credential value.
func New(v string) Secret { return Secret{v: v} }

// Reveal returns the credential itself, for the one place that sends it.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

const redacted = "[redacted]"

// String returns a placeholder, never the value.
func (s Secret) String() string { return redacted }

// GoString returns a placeholder, never the value.
func (s Secret) GoString() string { return redacted }

// Format prints a placeholder for every verb, %v, %s, %q and %x included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes a placeholder.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes a placeholder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Keyring is the part of an OS keyring the lookup uses; keyring.Get from
// github.com/zalando/go-keyring satisfies it through OSKeyring.
type Keyring interface {
	Get(service, user string) (string, error)
}

// Service is the keyring service name under which rounds keeps secrets;
// the keyring user is "TARGET/KIND", for example "snow/password".
const Service = "rounds"

// ErrNotFound reports that no credential of the asked kind exists.
var ErrNotFound = errors.New("secret: credential not found")

// OSKeyring is the operating system's keyring (Secret Service over D-Bus
// on Linux, Keychain on macOS, Credential Manager on Windows). Where no
// keyring can be reached (CI, SSH sessions without a session bus) Get
// fails fast instead of trying to start one, and never blocks longer than
// Timeout.
type OSKeyring struct {
	// Timeout bounds one lookup; zero means 3 seconds.
	Timeout time.Duration
}

// errNoKeyring reports that no session keyring can be reached.
var errNoKeyring = errors.New("secret: no OS keyring reachable")

// Get reads a secret from the OS keyring.
func (k OSKeyring) Get(service, user string) (string, error) {
	if !keyringReachable() {
		return "", errNoKeyring
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	type res struct {
		v   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := keyring.Get(service, user)
		ch <- res{v, err}
	}()
	select {
	case r := <-ch:
		if errors.Is(r.err, keyring.ErrNotFound) {
			return "", ErrNotFound
		}
		return r.v, r.err
	case <-time.After(timeout):
		// The lookup goroutine finishes on its own when D-Bus answers; it
		// holds nothing but its channel, which is buffered.
		return "", fmt.Errorf("secret: OS keyring did not answer within %s", timeout)
	}
}

// keyringReachable avoids go-keyring's D-Bus autolaunch on Linux, which
// would try to start dbus-launch when no session bus exists.
func keyringReachable() bool {
	if runtime.GOOS != "linux" && !strings.HasSuffix(runtime.GOOS, "bsd") {
		return true
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return true
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bus")); err == nil {
			return true
		}
	}
	return false
}

// Source finds the credentials of one target: first the keyring (service
// "rounds", user "TARGET/KIND"), then an environment variable: the one the
// target's options name (KIND_env = "VAR"), else ROUNDS_TARGET_KIND with
// the target name upper-cased and anything but letters and digits turned
// into underscores.
type Source struct {
	// Keyring is consulted first; nil skips it.
	Keyring Keyring
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Lookup returns the credential of the given kind ("password", "token",
// "client_secret", ...) for target. Errors name the places searched, never
// a value. A keyring that cannot be reached is not an error: the
// environment is then the only source.
func (s Source) Lookup(target, kind string, options map[string]string) (Secret, error) {
	var kerr error
	if s.Keyring != nil {
		v, err := s.Keyring.Get(Service, target+"/"+kind)
		switch {
		case err == nil && v != "":
			return New(v), nil
		case err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, errNoKeyring):
			kerr = err
		}
	}
	env := EnvName(target, kind)
	if n := options[kind+"_env"]; n != "" {
		if !isEnvName(n) {
			// Not a variable name: most likely the secret itself, pasted
			// where its variable's name belongs. Never echo it.
			return Secret{}, fmt.Errorf("%w: option %s_env of target %q is not an environment variable name "+
				"(letters, digits and _); if it holds the %s itself, remove it from the file and change the %s",
				ErrSecretInFile, kind, target, kind, kind)
		}
		env = n
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv(env); v != "" {
		return New(v), nil
	}
	if options[kind+"_env"] != "" && !looksLikeEnvName(env) {
		// A valid name that is not set and does not look like one (mixed
		// case, digits-heavy): it may be the secret; do not print it.
		env = "named by option " + kind + "_env (not shown: it does not look like a variable name)"
	}
	where := fmt.Sprintf("keyring entry %q of service %q or environment variable %s", target+"/"+kind, Service, env)
	if kerr != nil {
		// The keyring's own error text comes from D-Bus or the OS and
		// holds no secret value (there is none: the lookup failed).
		return Secret{}, fmt.Errorf("%w: %s for target %q (keyring: %v)", ErrNotFound, kind, target, kerr)
	}
	return Secret{}, fmt.Errorf("%w: %s for target %q: set the %s", ErrNotFound, kind, target, where)
}

// ErrSecretInFile reports a secret written into the configuration file.
var ErrSecretInFile = errors.New("secret: a secret appears to be in the configuration file")

// isEnvName reports whether s can name an environment variable: a letter
// or underscore, then letters, digits and underscores, at most 128 bytes.
// (A loop, not the regexp it replaces: compiling {0,127} cost 2 ms at
// the start of every command.)
func isEnvName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// looksLikeEnvName accepts the usual spelling of variables: upper case,
// digits and underscores.
func looksLikeEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// SecretKinds are option names that hold secrets and so must never be in
// the configuration file.
var SecretKinds = []string{"password", "token", "client_secret", "api_key", "secret"}

// InFile reports the option names of a target that hold a secret value
// (a "password" inside options): rounds ignores them, and the caller
// warns that a secret sits in a file.
func InFile(options map[string]string) []string {
	var out []string
	for _, k := range SecretKinds {
		if options[k] != "" {
			out = append(out, k)
		}
	}
	return out
}

// Value returns a non-secret setting (a user name, a client id) from the
// target's options, else from ROUNDS_TARGET_KIND in the environment.
func (s Source) Value(target, kind string, options map[string]string) string {
	if v := options[kind]; v != "" {
		return v
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := EnvName(target, kind)
	if n := options[kind+"_env"]; n != "" {
		env = n
	}
	return getenv(env)
}

// EnvName is the default environment variable for a target's credential:
// ROUNDS_<TARGET>_<KIND>.
func EnvName(target, kind string) string {
	up := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return unicode.ToUpper(r)
			}
			return '_'
		}, s)
	}
	return "ROUNDS_" + up(target) + "_" + up(kind)
}
