package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetTechnician(t *testing.T) {
	tests := []struct {
		name, before, who string
		wantErr           bool
	}{
		{"no file", "", "Sam Quinn", false},
		{"keeps targets and comments", "# my laptop\n[log]\nlevel = \"info\"\n", "Sam", false},
		{"replaces an empty technician", "technician = \"\"\n[log]\nlevel = \"warn\"\n", "Ana \"the\" Tech", false},
		{"quotes a backslash", "", `DOM\sam`, false},
		{"control characters refused", "", "a\x1bb", true},
		{"empty refused", "", "  ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rounds", "config.toml")
			if tc.before != "" {
				os.MkdirAll(filepath.Dir(path), 0o700)
				if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := SetTechnician(path, tc.who)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil || c.Technician != strings.TrimSpace(tc.who) {
				t.Fatalf("technician %q, %v", c.Technician, err)
			}
			b, _ := os.ReadFile(path)
			for _, l := range strings.Split(tc.before, "\n") {
				if l != "" && !strings.HasPrefix(l, "technician") && !strings.Contains(string(b), l) {
					t.Errorf("line %q lost:\n%s", l, b)
				}
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v %v", fi.Mode(), err)
			}
		})
	}
}

// FuzzSetTechnician: any name and any existing file either is refused,
// leaving the file as it was, or gives a file that loads with the name.
func FuzzSetTechnician(f *testing.F) {
	f.Add("Sam Quinn", "")
	f.Add(`a"b\c`, "# c\n[log]\nlevel = \"info\"\n")
	f.Add("é ü 名前", "technician = \"old\"\n")
	f.Add("x", "s = '''\n[not a table]\n'''\n")
	f.Fuzz(func(t *testing.T, name, before string) {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := SetTechnician(path, name); err != nil {
			if b, _ := os.ReadFile(path); string(b) != before {
				t.Fatalf("refused (%v) but the file changed", err)
			}
			return
		}
		c, err := Load(path)
		if err != nil {
			// A file that did not load before may still not (unknown
			// keys); the technician line itself must parse.
			if _, err0 := Load(path + ".none"); err0 == nil && strings.Contains(err.Error(), "technician") {
				t.Fatalf("saved a file that does not load: %v", err)
			}
			return
		}
		if c.Technician != strings.TrimSpace(name) {
			t.Fatalf("technician %q, want %q", c.Technician, strings.TrimSpace(name))
		}
	})
}
