package feed

import (
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/feed/feedtest"
)

const seedMetadata = `{
  "canonical_url": "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json",
  "distributions": [
    {"rolie": {"feeds": [{"summary": "TLP:WHITE advisories", "tlp_label": "WHITE",
      "url": "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/cisa-csaf-ot-feed-tlp-white.json"}]}},
    {"directory_url": "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/"}
  ],
  "last_updated": "2024-10-24T19:23:12.425167Z",
  "list_on_CSAF_aggregators": true,
  "metadata_version": "2.0",
  "mirror_on_CSAF_aggregators": true,
  "public_openpgp_keys": [{"fingerprint": "144AED0A57BE7D4AE835D9D8CAC5AC4F74164B17", "url": "https://www.cisa.gov/sites/default/files/csaf/openpgp/key.asc"}],
  "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
  "role": "csaf_trusted_provider"
}`

// The parsers of outside bytes never panic and, when they accept, give
// values the update can use without further checks.
func FuzzProviderMetadata(f *testing.F) {
	f.Add([]byte(seedMetadata))
	f.Add([]byte(`{"metadata_version":"2.0","distributions":[{"directory_url":"d/"}]}`))
	f.Add([]byte(`{"metadata_version":"2.0","distributions":[{"rolie":{"feeds":[]}}]}`))
	f.Add([]byte(`{"metadata_version":"2.0","distributions":[{"directory_url":"x"}],"public_openpgp_keys":[{"fingerprint":"0x 12 ab","url":"k"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseProviderMetadata("fuzz", b)
		if err != nil {
			return
		}
		if m.MetadataVersion != "2.0" || len(m.Distributions) == 0 {
			t.Fatalf("accepted %+v", m)
		}
		for _, d := range m.Distributions {
			if d.DirectoryURL == "" && (d.ROLIE == nil || len(d.ROLIE.Feeds) == 0) {
				t.Fatalf("accepted an empty distribution")
			}
		}
		for _, k := range m.PublicKeys {
			if k.URL == "" {
				t.Fatal("accepted a key without url")
			}
		}
	})
}

func FuzzROLIE(f *testing.F) {
	f.Add(readTestdata(f, "cisa-ot-rolie-excerpt.json"))
	f.Add([]byte(`{"feed":{"entry":[{"id":"x","link":[{"rel":"self","href":"a.json"}]}]}}`))
	f.Add([]byte(`{"feed":{"entry":[{"id":"x","content":{"src":""}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		feed, err := ParseROLIE("fuzz", b)
		if err != nil {
			return
		}
		for i := range feed.Feed.Entry {
			if feed.Feed.Entry[i].DocURL() == "" {
				t.Fatal("accepted an entry without a document")
			}
			if _, err := resolve("https://example.invalid/feed.json", feed.Feed.Entry[i].DocURL()); err == nil {
				continue
			}
		}
	})
}

func FuzzChanges(f *testing.F) {
	f.Add(readTestdata(f, "cisa-ot-changes-head.csv"))
	f.Add([]byte("\"2023/esa-2023-01.json\",\"2023-01-01T00:00:00Z\"\n"))
	f.Add([]byte("a.json,2023-13-01T00:00:00Z\n"))
	f.Add([]byte("\"a.json\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		chs, err := ParseChanges("fuzz", b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range chs {
			if c.Path == "" || c.Changed.IsZero() && c.Stamp == "" {
				t.Fatalf("accepted %+v", c)
			}
		}
	})
}

func FuzzIndexAndHash(f *testing.F) {
	f.Add(readTestdata(f, "cisa-ot-index-head.txt"))
	f.Add(feedtest.File(f, "csaf/icsma-17-082-01.json.sha512"))
	f.Add([]byte("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  x.json\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseIndex("fuzz", b)
		for _, n := range []int{32, 64} {
			if d, err := ParseHash("fuzz", b, n); err == nil && len(d) != n {
				t.Fatalf("digest of %d bytes, want %d", len(d), n)
			}
		}
		_, _ = TLPLabel(b)
	})
}
