// Package feedtest serves real advisories and recalls from 127.0.0.1 for
// tests of package feed and of the update commands: a CSAF 2.0 trusted
// provider (provider-metadata.json, public key, ROLIE feeds, directory
// distribution, hash and signature files) over CISA's real ICSMA files,
// and a fake of openFDA's device endpoints over real enforcement reports.
// Provenance of the files: testdata/PROVENANCE.md.
package feedtest
