package feed

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/biomed-rounds/rounds/store"
)

// providerKeys fetches the provider's public keys, keeps those whose
// fingerprint the metadata declares, and checks them against the pins:
// pinned on first use (or with acceptNew), else only pinned keys are
// trusted and none pinned left is ErrKeyChanged.
func providerKeys(ctx context.Context, st *store.Store, c *client, provider string, md *ProviderMetadata, acceptNew bool, rep *ProviderReport) (openpgp.EntityList, error) {
	offered := map[string]*openpgp.Entity{}
	var keyErrs []string
	for i, k := range md.PublicKeys {
		u, err := resolve(provider, k.URL)
		if err != nil {
			keyErrs = append(keyErrs, fmt.Sprintf("public_openpgp_keys[%d]: %v", i, err))
			continue
		}
		b, err := c.get(ctx, u, maxMetadata)
		if err != nil {
			if errors.Is(err, ErrOffline) || ctx.Err() != nil {
				return nil, fmt.Errorf("provider %s: key: %w", provider, err)
			}
			keyErrs = append(keyErrs, err.Error())
			continue
		}
		ents, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		if err != nil {
			ents, err = openpgp.ReadKeyRing(bytes.NewReader(b))
		}
		if err != nil {
			keyErrs = append(keyErrs, fmt.Sprintf("%s: not an OpenPGP key: %v", u, err))
			continue
		}
		want := NormalizeFingerprint(k.Fingerprint)
		found := false
		for _, e := range ents {
			fp := strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
			if want == "" || fp == want {
				offered[fp] = e
				found = true
			}
		}
		if !found {
			keyErrs = append(keyErrs, fmt.Sprintf("%s: no key with the declared fingerprint %s", u, want))
		}
	}
	if len(offered) == 0 {
		return nil, fmt.Errorf("provider %s: %w: no usable OpenPGP key (%s)", provider, ErrFormat, strings.Join(keyErrs, "; "))
	}
	fps := make([]string, 0, len(offered))
	for fp := range offered {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	pins, err := st.FeedPins(ctx, provider)
	if err != nil {
		return nil, fmt.Errorf("feed: pins: %w", err)
	}
	if len(pins) == 0 || (acceptNew && !slices.Equal(pins, fps)) {
		if err := st.Write(ctx, "rounds advisories update", func(w *store.Writer) error {
			return w.PinFeedKeys(provider, fps)
		}); err != nil {
			return nil, fmt.Errorf("feed: pinning keys: %w", err)
		}
		rep.Keys, rep.Pinned = fps, true
		pins = fps
	}
	var ring openpgp.EntityList
	for _, fp := range fps {
		if slices.Contains(pins, fp) {
			ring = append(ring, offered[fp])
			if !rep.Pinned {
				rep.Keys = append(rep.Keys, fp)
			}
		} else {
			rep.Unpinned = append(rep.Unpinned, fp)
		}
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("provider %s: %w: pinned %s, the provider now lists %s; check the new key with the provider and run again with --accept-new-keys",
			provider, ErrKeyChanged, strings.Join(pins, ", "), strings.Join(fps, ", "))
	}
	return ring, nil
}

// listDocuments reads the provider's public ROLIE feeds, else its
// directory's changes.csv (else index.txt).
func listDocuments(ctx context.Context, c *client, provider string, md *ProviderMetadata, rep *ProviderReport) ([]csafJob, error) {
	var jobs []csafJob
	seen := map[string]bool{}
	add := func(j csafJob) {
		if !seen[j.doc] {
			seen[j.doc] = true
			jobs = append(jobs, j)
		}
	}
	rolie := false
	for _, d := range md.Distributions {
		if d.ROLIE == nil {
			continue
		}
		for _, f := range d.ROLIE.Feeds {
			rolie = true
			u, err := resolve(provider, f.URL)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", provider, err)
			}
			if f.TLPLabel != "" && !PublicTLP(f.TLPLabel) {
				rep.NotPublic = append(rep.NotPublic, u)
				continue
			}
			b, err := c.get(ctx, u, maxIndex)
			if err != nil {
				return nil, fmt.Errorf("provider %s: feed: %w", provider, err)
			}
			feed, err := ParseROLIE(u, b)
			if err != nil {
				return nil, err
			}
			rep.Feeds = append(rep.Feeds, u)
			for _, e := range feed.Feed.Entry {
				doc, err := resolve(u, e.DocURL())
				if err != nil {
					// One bad entry does not stop the feed.
					rep.Results = append(rep.Results, DocResult{URL: clip(e.DocURL()), ID: e.ID, Outcome: Refused,
						Reason: ReasonMalformed, Detail: err.Error()})
					continue
				}
				j := csafJob{feed: u, doc: doc, id: e.ID, stamp: e.Updated}
				if j.stamp == "" {
					j.stamp = e.Published
				}
				for _, h := range e.Links("hash") {
					if r, err := resolve(u, h); err == nil {
						j.hashes = append(j.hashes, r)
					}
				}
				for _, s := range e.Links("signature") {
					if r, err := resolve(u, s); err == nil {
						j.sigs = append(j.sigs, r)
					}
				}
				add(j)
			}
		}
	}
	if rolie {
		return jobs, nil
	}
	for _, d := range md.Distributions {
		if d.DirectoryURL == "" {
			continue
		}
		dir, err := resolve(provider, d.DirectoryURL)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", provider, err)
		}
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
		rep.Feeds = append(rep.Feeds, dir)
		chURL := dir + "changes.csv"
		b, err := c.get(ctx, chURL, maxIndex)
		switch {
		case err == nil:
			changes, err := ParseChanges(chURL, b)
			if err != nil {
				return nil, err
			}
			for _, ch := range changes {
				doc, err := resolve(dir, ch.Path)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", chURL, err)
				}
				add(csafJob{feed: dir, doc: doc, stamp: ch.Stamp})
			}
		case errors.Is(err, ErrNotFound):
			// index.txt has no times: a listed document is fetched once.
			ixURL := dir + "index.txt"
			b, err := c.get(ctx, ixURL, maxIndex)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", provider, err)
			}
			paths, err := ParseIndex(ixURL, b)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				doc, err := resolve(dir, p)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", ixURL, err)
				}
				add(csafJob{feed: dir, doc: doc})
			}
		default:
			return nil, fmt.Errorf("provider %s: %w", provider, err)
		}
	}
	return jobs, nil
}
