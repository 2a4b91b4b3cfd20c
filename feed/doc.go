// Package feed brings advisories and recalls onto the laptop while it is
// online, so that rounds can match them offline: CSAF 2.0 providers (as
// the standard defines them: provider-metadata.json, its ROLIE feeds or
// its directory distribution with index.txt and changes.csv) and openFDA's
// device recall and enforcement endpoints.
//
// Every CSAF document is verified before it is imported: its SHA-512 or
// SHA-256 file against the bytes, and its detached OpenPGP signature
// against the provider's public keys, whose fingerprints are pinned in
// the store on first use. Updates are incremental and resumable: each
// document handled is recorded in the store in the same transaction that
// imports it (feed_items), each openFDA page together with its cursor, so
// that a run killed at any point, or cut off by the network, resumes where
// it stopped and a second run fetches only what changed.
//
// This package does network I/O; parsing and matching of the documents
// themselves stay in reconcile/advisory, which it calls.
package feed
