package main

import (
	"encoding/json"
)

// The --json convention, the same in every command (docs/cli.md): a list
// is one JSON array (empty: []), a summary or a single result is one JSON
// object, and only --stream prints one object per line as results arrive.
// Progress, with --json, goes to stderr as JSON lines, never to stdout.

// writeJSON prints v as one indented JSON document on stdout.
func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
