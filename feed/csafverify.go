package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/biomed-rounds/rounds/reconcile/advisory"
)

// processDoc fetches, filters and verifies one document. An error is a
// network or server failure (tried again next time); a refusal or skip is
// a result.
func processDoc(ctx context.Context, c *client, j csafJob, ring openpgp.EntityList, vendors []string, all bool) (DocResult, *advisory.Document, error) {
	res := DocResult{URL: j.doc, ID: j.id}
	refuse := func(reason, detail string) (DocResult, *advisory.Document, error) {
		res.Outcome, res.Reason, res.Detail = Refused, reason, detail
		return res, nil, nil
	}
	data, err := c.get(ctx, j.doc, advisory.MaxDocument)
	if err != nil {
		switch {
		case errors.Is(err, ErrFormat):
			return refuse(ReasonTooLarge, err.Error())
		case errors.Is(err, ErrNotFound):
			// Listed but absent: the provider's mistake, recorded so that
			// it does not fail every update; a changed entry is retried.
			return refuse(ReasonMissingDocument, err.Error())
		}
		return res, nil, err
	}
	label, err := TLPLabel(data)
	if err != nil {
		return refuse(ReasonMalformed, err.Error())
	}
	doc, err := advisory.Parse(j.doc, data)
	if err != nil {
		return refuse(ReasonMalformed, err.Error())
	}
	if doc.Kind != advisory.KindCSAF || doc.Advisory == nil {
		return refuse(ReasonMalformed, "not a CSAF document")
	}
	res.ID = doc.Advisory.ID
	if !PublicTLP(label) {
		res.Outcome, res.Reason = Skipped, ReasonNotPublic
		res.Detail = "TLP:" + label
		if label == "" {
			res.Detail = "no TLP label"
		}
		return res, nil, nil
	}
	if !all {
		if ok, _ := Medical(doc.Advisory, vendors); !ok {
			res.Outcome, res.Reason = Skipped, ReasonNotMedical
			return res, nil, nil
		}
	}
	reason, detail, err := verifyHash(ctx, c, j, data)
	if err != nil {
		return res, nil, err
	}
	if reason != "" {
		return refuse(reason, detail)
	}
	sigURL := j.doc + ".asc"
	if len(j.sigs) > 0 {
		sigURL = j.sigs[0]
	}
	sig, err := c.get(ctx, sigURL, maxSmall)
	switch {
	case errors.Is(err, ErrNotFound):
		return refuse(ReasonMissingSignature, sigURL)
	case errors.Is(err, ErrFormat):
		return refuse(ReasonBadSignature, err.Error())
	case err != nil:
		return res, nil, err
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), bytes.NewReader(sig), nil); err != nil {
		return refuse(ReasonBadSignature, err.Error())
	}
	res.Outcome = Imported
	return res, &doc, nil
}

// verifyHash checks the document against the first hash file found: the
// feed's hash links, else NAME.sha512, else NAME.sha256.
func verifyHash(ctx context.Context, c *client, j csafJob, data []byte) (reason, detail string, err error) {
	cands := j.hashes
	if len(cands) == 0 {
		cands = []string{j.doc + ".sha512", j.doc + ".sha256"}
	}
	slices.SortStableFunc(cands, func(a, b string) int { return hashRank(a) - hashRank(b) })
	for _, u := range cands {
		b, err := c.get(ctx, u, maxSmall)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case errors.Is(err, ErrFormat):
			return ReasonHashMismatch, err.Error(), nil
		case err != nil:
			return "", "", err
		}
		var got []byte
		var want []byte
		algo := ""
		switch {
		case strings.HasSuffix(strings.ToLower(u), ".sha256") || (hashRank(u) == 2 && len(strings.Fields(string(b))) > 0 && len(strings.Fields(string(b))[0]) == 64):
			s := sha256.Sum256(data)
			got, algo = s[:], "SHA-256"
			want, err = ParseHash(u, b, sha256.Size)
		default:
			s := sha512.Sum512(data)
			got, algo = s[:], "SHA-512"
			want, err = ParseHash(u, b, sha512.Size)
		}
		if err != nil {
			return ReasonHashMismatch, err.Error(), nil
		}
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return ReasonHashMismatch, fmt.Sprintf("%s of the document is %x, %s says %x", algo, got, u, want), nil
		}
		return "", "", nil
	}
	return ReasonMissingHash, strings.Join(cands, ", "), nil
}

func hashRank(u string) int {
	l := strings.ToLower(u)
	switch {
	case strings.HasSuffix(l, ".sha512"):
		return 0
	case strings.HasSuffix(l, ".sha256"):
		return 1
	}
	return 2
}

// Medical reports whether an advisory is for medical devices: an ICSMA
// advisory, or one whose product tree names a vendor of the catalog.
func Medical(a *advisory.Advisory, vendors []string) (bool, string) {
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(a.ID)), "ICSMA") {
		return true, "ICS medical advisory"
	}
	for _, p := range a.Products {
		for _, v := range vendors {
			if ok, _ := advisory.MatchVendor(p.Vendor, v); ok {
				return true, "names catalog vendor " + v
			}
		}
	}
	return false, ""
}
