package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// grConfig mirrors the keys of goreleaser v2's configuration that
// goreleaser.yaml uses, as documented at goreleaser.com/customization
// (project, before, builds, archives, nfpms, sboms, checksum, snapshot,
// changelog, release). Decoding with KnownFields refuses any other key, so
// a typo fails here even where goreleaser is not installed.
type grConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Before      struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		NameTemplate string   `yaml:"name_template"`
		Files        []string `yaml:"files"`
	} `yaml:"archives"`
	Nfpms []struct {
		ID               string   `yaml:"id"`
		PackageName      string   `yaml:"package_name"`
		IDs              []string `yaml:"ids"`
		Formats          []string `yaml:"formats"`
		Vendor           string   `yaml:"vendor"`
		Homepage         string   `yaml:"homepage"`
		Maintainer       string   `yaml:"maintainer"`
		Description      string   `yaml:"description"`
		License          string   `yaml:"license"`
		Section          string   `yaml:"section"`
		Priority         string   `yaml:"priority"`
		Bindir           string   `yaml:"bindir"`
		FileNameTemplate string   `yaml:"file_name_template"`
		Recommends       []string `yaml:"recommends"`
		Contents         []struct {
			Src      string `yaml:"src"`
			Dst      string `yaml:"dst"`
			Type     string `yaml:"type"`
			FileInfo struct {
				Mode int `yaml:"mode"`
			} `yaml:"file_info"`
		} `yaml:"contents"`
		Scripts struct {
			Preinstall  string `yaml:"preinstall"`
			Postinstall string `yaml:"postinstall"`
			Preremove   string `yaml:"preremove"`
			Postremove  string `yaml:"postremove"`
		} `yaml:"scripts"`
	} `yaml:"nfpms"`
	Sboms []struct {
		ID        string `yaml:"id"`
		Artifacts string `yaml:"artifacts"`
	} `yaml:"sboms"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Disable bool   `yaml:"disable"`
		Use     string `yaml:"use"`
		Sort    string `yaml:"sort"`
		Groups  []struct {
			Title  string `yaml:"title"`
			Regexp string `yaml:"regexp"`
			Order  int    `yaml:"order"`
		} `yaml:"groups"`
		Filters struct {
			Exclude []string `yaml:"exclude"`
			Include []string `yaml:"include"`
		} `yaml:"filters"`
	} `yaml:"changelog"`
	Release struct {
		GitHub struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"github"`
	} `yaml:"release"`
}

func TestGoreleaserConfig(t *testing.T) {
	b, err := os.ReadFile("../../goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c grConfig
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("goreleaser.yaml: %v", err)
	}
	hooks := strings.Join(c.Before.Hooks, "\n")
	for _, want := range []string{"completion bash", "completion zsh", "completion fish", "man --dir manpages"} {
		if !strings.Contains(hooks, want) {
			t.Errorf("no before hook runs %q", want)
		}
	}
	if len(c.Builds) != 1 || !strings.Contains(c.Builds[0].Ldflags[0], "-X main.version=") ||
		!strings.Contains(c.Builds[0].Ldflags[0], "-X main.commit=") || !strings.Contains(c.Builds[0].Ldflags[0], "-X main.date=") {
		t.Errorf("builds: %+v", c.Builds)
	}
	files := strings.Join(c.Archives[0].Files, " ")
	for _, want := range []string{"LICENSE", "NOTICE", "completions/", "manpages/"} {
		if !strings.Contains(files, want) {
			t.Errorf("archives do not ship %s", want)
		}
	}
	if len(c.Nfpms) != 1 || strings.Join(c.Nfpms[0].Formats, ",") != "deb,rpm" || c.Nfpms[0].License != "Apache-2.0" {
		t.Fatalf("nfpms: %+v", c.Nfpms)
	}
	dsts := map[string]bool{}
	for _, ct := range c.Nfpms[0].Contents {
		dsts[ct.Dst] = true
		if ct.FileInfo.Mode == 0 {
			t.Errorf("%s has no mode", ct.Dst)
		}
		// Every source must exist after the hooks: the repository's own
		// files now, generated ones by name.
		if !strings.HasPrefix(ct.Src, "./completions/") && !strings.HasPrefix(ct.Src, "./manpages/") {
			if _, err := os.Stat(filepath.Join("../..", ct.Src)); err != nil {
				t.Errorf("package content %s: %v", ct.Src, err)
			}
		}
	}
	for _, want := range []string{"/usr/share/bash-completion/completions/rounds", "/usr/share/zsh/vendor-completions/_rounds",
		"/usr/share/man/man1/", "/etc/default/rounds"} {
		if !dsts[want] {
			t.Errorf("packages do not install %s", want)
		}
	}
	fi, err := os.Stat(filepath.Join("../..", c.Nfpms[0].Scripts.Postinstall))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("postinstall script %q: %v", c.Nfpms[0].Scripts.Postinstall, err)
	}
	var sbomArchive bool
	for _, s := range c.Sboms {
		sbomArchive = sbomArchive || s.Artifacts == "archive"
	}
	if !sbomArchive {
		t.Error("no SBOM per archive")
	}
	if c.Changelog.Disable || c.Changelog.Use != "git" {
		t.Errorf("changelog: %+v", c.Changelog)
	}
}

// TestPostinstallOptIn runs the package's post-install script with a fake
// setcap: it grants the BLE capabilities only when /etc/default/rounds opts
// in, and removes a grant otherwise.
func TestPostinstallOptIn(t *testing.T) {
	script, err := os.ReadFile("../../packaging/postinstall.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		conf, want string
	}{
		{"", "setcap -r /usr/bin/rounds"},
		{"ROUNDS_BLE_CAPABILITIES=no\n", "setcap -r /usr/bin/rounds"},
		{"ROUNDS_BLE_CAPABILITIES=yes\n", "setcap cap_net_admin,cap_net_raw+ep /usr/bin/rounds"},
	} {
		dir := t.TempDir()
		log := filepath.Join(dir, "calls")
		os.WriteFile(filepath.Join(dir, "setcap"), []byte("#!/bin/sh\necho setcap \"$@\" >> "+log+"\n"), 0o755)
		conf := filepath.Join(dir, "default")
		if tc.conf != "" {
			os.WriteFile(conf, []byte(tc.conf), 0o644)
		}
		s := strings.ReplaceAll(string(script), "CONF=/etc/default/rounds", "CONF="+conf)
		cmd := execCommand("sh", "-c", s)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%q: %v %s", tc.conf, err, out)
		}
		got, _ := os.ReadFile(log)
		if strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("conf %q: setcap calls %q, want %q", tc.conf, got, tc.want)
		}
	}
}

// TestManAndCompletion runs what the release's before hooks run.
func TestManAndCompletion(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errs := runCLI(t, db, "completion", sh)
		if code != 0 || !strings.Contains(out, "rounds") {
			t.Errorf("completion %s: %d %s", sh, code, errs)
		}
	}
	man := filepath.Join(dir, "man")
	if code, _, errs := runCLI(t, db, "man", "--dir", man); code != 0 {
		t.Fatal(errs)
	}
	for _, page := range []string{"rounds.1", "rounds-scan.1", "rounds-confirm.1", "rounds-config-check.1"} {
		b, err := os.ReadFile(filepath.Join(man, page))
		if err != nil || !bytes.Contains(b, []byte(".TH \"ROUNDS\" \"1\"")) {
			t.Errorf("%s: %v %.80q", page, err, b)
		}
	}
	code, out, _ := runCLI(t, db, "man")
	if code != 0 || !strings.Contains(out, ".SH NAME") || !strings.Contains(out, "rounds") {
		t.Errorf("man on stdout: %d %.200s", code, out)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("generating docs created the database")
	}
}

// TestValueCompletion: --room, --target, --format and --profile complete
// from the database, the configuration and the fixed choices.
func TestValueCompletion(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	if code, _, errs := runCLI(t, db, "import", writeFile(t, dir, "in.csv", cliSample)); code != 0 {
		t.Fatal(errs)
	}
	cfg := writeFile(t, dir, "c.toml", "[[target]]\nname = \"snow\"\nkind = \"servicenow\"\nurl = \"https://x\"\n[[target]]\nname = \"snipe\"\nkind = \"snipeit\"\nurl = \"https://y\"\n")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"devices", "--room", "MAIN/3/3W-1"}, []string{"MAIN/3/3W-12", "MAIN/3/3W-14"}},
		{[]string{"scan", "--room", ""}, []string{"MAIN/3/3W-12"}},
		{[]string{"confirm", "BME-1", "--room", "MAIN/3/3W-14"}, []string{"MAIN/3/3W-14"}},
		{[]string{"sync", "--target", ""}, []string{"snow", "snipe"}},
		{[]string{"export", "--format", ""}, []string{"csv", "json"}},
		{[]string{"demo", "--format", ""}, []string{"html", "text"}},
		{[]string{"scan", "--profile", ""}, []string{"safe", "fast"}},
		{[]string{"rooms", "--building", ""}, []string{"MAIN"}},
	} {
		code, out, errs := runCLI(t, db, append([]string{"--config", cfg, "__complete"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: %d %s", tc.args, code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: completions lack %q:\n%s", tc.args, w, out)
			}
		}
	}
}

var execCommand = exec.Command
