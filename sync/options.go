package sync

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CommonOptions are the target options every network connector accepts;
// cmd/rounds reads them to build the HTTP client and the engine.
var CommonOptions = []string{"ca_file", "timeout", "rate_per_minute", "ownership", "concurrency", "batch_size",
	"allow_insecure_http", "user", "password_env", "token_env", "client_secret_env", "user_env", "client_id"}

// Options reads a target's options for one connector: it refuses keys that
// neither the connector (own) nor CommonOptions know, as config and import
// refuse unknown keys, so that a misspelt option is not silently ignored.
// Keys "field.NAME" are accepted when fields is true. A "password" (or
// another secret) in the options is not read here: the caller warns.
type Options struct {
	Target, Kind string
	Values       map[string]string
}

// Check refuses unknown keys.
func (o Options) Check(own []string, fields bool) error {
	known := map[string]bool{}
	for _, k := range append(append([]string{}, own...), CommonOptions...) {
		known[k] = true
	}
	var bad []string
	for k := range o.Values {
		if known[k] || fields && strings.HasPrefix(k, "field.") || isSecretKey(k) {
			continue
		}
		bad = append(bad, k)
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	all := append(append([]string{}, own...), CommonOptions...)
	sort.Strings(all)
	if fields {
		all = append(all, "field.NAME")
	}
	return fmt.Errorf("target %s: unknown option %q for kind %s (known: %s)", o.Target, bad[0], o.Kind, strings.Join(all, ", "))
}

// isSecretKey: secrets in the file are reported by the caller as a
// warning, not as an unknown key.
func isSecretKey(k string) bool {
	switch k {
	case "password", "token", "client_secret", "api_key", "secret":
		return true
	}
	return false
}

// String returns an option's value.
func (o Options) String(k string) string { return o.Values[k] }

// Int reads a non-negative number (0 when absent).
func (o Options) Int(k string) (int, error) {
	v := o.Values[k]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("target %s: option %s = %q: want a number", o.Target, k, v)
	}
	return n, nil
}

// Duration reads a Go duration (0 when absent).
func (o Options) Duration(k string) (time.Duration, error) {
	v := o.Values[k]
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("target %s: option %s = %q: want a duration such as 90s", o.Target, k, v)
	}
	return d, nil
}

// Map reads "k=v,k=v" (status_map).
func (o Options) Map(k string) (map[string]string, error) {
	v := o.Values[k]
	if v == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		a, b, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("target %s: option %s: %q: want KEY=VALUE", o.Target, k, kv)
		}
		out[strings.TrimSpace(a)] = strings.TrimSpace(b)
	}
	return out, nil
}

// Fields returns defaults overlaid with the field.NAME options.
func (o Options) Fields(defaults map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range o.Values {
		if f, ok := strings.CutPrefix(k, "field."); ok {
			out[f] = v
		}
	}
	return out
}
