package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	good := filepath.Join(dir, "good.toml")
	code, out, errs := runCLI(t, db, "config", "example")
	if code != 0 {
		t.Fatal(errs)
	}
	os.WriteFile(good, []byte(out), 0o600)
	tests := []struct {
		name string
		body string // "" runs against the example
		args []string
		code int
		want string
	}{
		{"path", "", []string{"config", "path"}, 0, "good.toml"},
		{"example checks", "", []string{"config", "check"}, 0, "ok (3 targets)"},
		{"absent file", "-", []string{"config", "check"}, 0, "no file"},
		{"unknown key", "[scan]\nprofle = \"safe\"\n", []string{"config", "check"}, 1, `unknown key "scan.profle"`},
		{"unknown option with suggestion", "[[target]]\nname = \"s\"\nkind = \"snipeit\"\nurl = \"https://x\"\noptions = { page_szie = \"100\" }\n",
			[]string{"config", "check"}, 1, `unknown option "page_szie"`},
		{"unknown kind", "[[target]]\nname = \"g\"\nkind = \"glpi\"\nurl = \"https://x\"\n", []string{"config", "check"}, 1, `kind "glpi"`},
		{"bad profile", "[scan]\nprofile = \"reckless\"\n", []string{"config", "check"}, 1, `profile "reckless"`},
		{"bad exclusion", "[scan]\nexclude = [\"zz:zz\"]\n", []string{"config", "check"}, 1, "exclude"},
		{"duplicate target", "[[target]]\nname = \"f\"\nkind = \"file\"\n[[target]]\nname = \"f\"\nkind = \"file\"\n", []string{"config", "check"}, 1, "used twice"},
		// sync refuses an unknown option too, before any request.
		{"sync refuses unknown option", "[[target]]\nname = \"f\"\nkind = \"file\"\noptions = { dir = \"/nonexistent\", fromat = \"json\" }\n",
			[]string{"sync"}, 1, `unknown option "fromat"`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			switch tc.body {
			case "":
			case "-":
				cfg = filepath.Join(dir, "absent.toml")
			default:
				cfg = writeFile(t, dir, "c"+string(rune('a'+i))+".toml", tc.body)
			}
			code, out, errs := runCLI(t, db, append([]string{"--config", cfg}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.want, out, errs)
			}
		})
	}
}

// TestExampleConfigInDocs: docs/config.example.toml is what `rounds config
// example` prints.
func TestExampleConfigInDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != exampleConfig {
		t.Error("docs/config.example.toml differs from cmd/rounds/config.example.toml: copy it over")
	}
}
