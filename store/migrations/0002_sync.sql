-- Sync state, owned by package sync. Credentials are never stored here.

-- How far each target's pull has been stored. mark is opaque to everyone
-- but the connector that wrote it; it moves only in the transaction that
-- stores the last record it covers.
CREATE TABLE sync_watermarks (
    target     TEXT PRIMARY KEY,
    mark       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Per target and device: the remote id, the server version last merged,
-- base (a JSON object of canonical field -> value both sides last agreed
-- on: the common ancestor of the three-way merge) and server (the latest
-- server values seen, which differ from base while a local change to the
-- field is pending or in conflict; '' when equal to base, which is the
-- common case and halves the row). Rows are a kilobyte or two: a rowid
-- table, not WITHOUT ROWID, suits them.
CREATE TABLE sync_records (
    target    TEXT NOT NULL,
    asset_tag TEXT NOT NULL,
    remote_id TEXT NOT NULL DEFAULT '',
    version   TEXT NOT NULL DEFAULT '',
    base      TEXT NOT NULL DEFAULT '{}',
    server    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (target, asset_tag)
);
CREATE UNIQUE INDEX sync_records_remote ON sync_records (target, remote_id) WHERE remote_id <> '';

-- Fields changed on both sides since the base. resolution 'open' waits for
-- a person; 'local' and 'server' record the person's choice; 'auto_local'
-- and 'auto_server' record a decision taken by field ownership, so that no
-- overwrite is silent. delivered says whether a 'local' choice has reached
-- the server.
CREATE TABLE sync_conflicts (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    asset_tag   TEXT NOT NULL,
    field       TEXT NOT NULL,
    base        TEXT NOT NULL,
    local       TEXT NOT NULL,
    server      TEXT NOT NULL,
    entry_seq   INTEGER NOT NULL DEFAULT 0,
    detected_at TEXT NOT NULL,
    resolution  TEXT NOT NULL DEFAULT 'open'
        CHECK (resolution IN ('open', 'local', 'server', 'auto_local', 'auto_server')),
    resolved_at TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    delivered   INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1))
);
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (target, asset_tag, field) WHERE resolution = 'open';
CREATE INDEX sync_conflicts_todo ON sync_conflicts (target, resolution, delivered);

-- Server values a pull could not apply locally (a serial another device
-- holds, an unparseable date, a duplicate asset tag on the server). The
-- record is otherwise stored, so the watermark can move; a person can look.
CREATE TABLE sync_issues (
    id        INTEGER PRIMARY KEY,
    target    TEXT NOT NULL,
    asset_tag TEXT NOT NULL,
    field     TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (target, asset_tag, field, message)
);

-- The outcome of the last pull and push per target, for status displays.
CREATE TABLE sync_runs (
    target TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('pull', 'push')),
    at     TEXT NOT NULL,
    error  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (target, kind)
) WITHOUT ROWID;

-- A pull must find the undelivered local changes of the devices it is
-- about to merge without scanning the whole outbox.
CREATE INDEX journal_undelivered ON journal (asset_tag) WHERE state IN ('pending', 'inflight');
