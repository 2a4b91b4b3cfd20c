-- State of the online feeds (package feed): CSAF providers and openFDA.
-- feed_marks holds watermarks and resume cursors by key; feed_items is the
-- ledger of documents already handled (imported, filtered or refused) with
-- the feed's timestamp for them, so that a second update and a resumed one
-- fetch only what changed; feed_keys pins the OpenPGP fingerprints of each
-- provider on first use.

CREATE TABLE feed_marks (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE feed_items (
    feed       TEXT NOT NULL,
    item       TEXT NOT NULL,                  -- document URL
    stamp      TEXT NOT NULL DEFAULT '',       -- the feed's updated time for it
    outcome    TEXT NOT NULL,                  -- imported, skipped, refused
    reason     TEXT NOT NULL DEFAULT '',
    doc_id     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    PRIMARY KEY (feed, item)
) WITHOUT ROWID;

CREATE TABLE feed_keys (
    provider    TEXT NOT NULL,                 -- provider-metadata.json URL
    fingerprint TEXT NOT NULL,                 -- upper-case hex, no spaces
    pinned_at   TEXT NOT NULL,
    PRIMARY KEY (provider, fingerprint)
) WITHOUT ROWID;
