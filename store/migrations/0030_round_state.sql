-- Unknown units the technician dismissed (a patient's own meter, a
-- visitor's phone), by the identity the sweep saw (its observation key),
-- so that the same unit is not asked about again in later visits.
CREATE TABLE dismissals (
    identity  TEXT PRIMARY KEY,
    reason    TEXT NOT NULL,
    location  TEXT NOT NULL DEFAULT '',
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL
);

-- What each technician action did, so that it can be undone until synced:
-- the finding as it stood before, the device before (JSON), and the
-- journal entries the action wrote (seq_from..seq_to; 0..0 for none).
CREATE TABLE action_log (
    id           INTEGER PRIMARY KEY,
    finding_id   INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    word         TEXT NOT NULL,
    asset_tag    TEXT NOT NULL DEFAULT '',
    prev_action  TEXT NOT NULL DEFAULT '',
    prev_acted   TEXT NOT NULL DEFAULT '',
    prev_data    TEXT NOT NULL DEFAULT '{}',
    device_before TEXT NOT NULL DEFAULT '',
    seq_from     INTEGER NOT NULL DEFAULT 0,
    seq_to       INTEGER NOT NULL DEFAULT 0,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    undone_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX action_log_finding ON action_log (finding_id);
