-- Reference data for reconciliation: security advisories (CSAF 2.0, as
-- CISA publishes ICSMA advisories) and device recalls (openFDA). data is
-- the parsed document as JSON (reconcile/advisory types); sha256 is over
-- data, so re-importing the same document changes nothing.

CREATE TABLE advisories (
    id          TEXT PRIMARY KEY,                 -- CSAF tracking id
    revision    TEXT NOT NULL DEFAULT '',
    released    TEXT NOT NULL DEFAULT '',         -- current_release_date, RFC 3339 UTC
    title       TEXT NOT NULL DEFAULT '',
    publisher   TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    score       REAL NOT NULL DEFAULT 0,          -- highest CVSS base score
    source      TEXT NOT NULL DEFAULT '',         -- file imported from
    sha256      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    data        TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE recalls (
    id          TEXT PRIMARY KEY,                 -- recall number, else cfRES id
    event       TEXT NOT NULL DEFAULT '',
    firm        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',         -- product description
    class       TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    released    TEXT NOT NULL DEFAULT '',         -- initiation date
    url         TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    sha256      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    data        TEXT NOT NULL
) WITHOUT ROWID;
