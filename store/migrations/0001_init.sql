-- Locations: a room is the unit of a visit. key is BUILDING/FLOOR/ROOM.
CREATE TABLE locations (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    site        TEXT NOT NULL DEFAULT '',
    building    TEXT NOT NULL,
    floor       TEXT NOT NULL,
    room        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    rf_shielded INTEGER NOT NULL DEFAULT 0 CHECK (rf_shielded IN (0, 1)),
    barcode     TEXT NOT NULL DEFAULT ''
);

-- The network segments configured for a room; tags is a sorted,
-- comma-separated list such as "clinical,imaging".
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY,
    location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
    cidr        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '',
    UNIQUE (location_id, cidr)
);

-- The model catalog with firmware baselines and end-of-life dates.
CREATE TABLE models (
    id              INTEGER PRIMARY KEY,
    manufacturer    TEXT NOT NULL,
    model           TEXT NOT NULL,
    device_class    TEXT NOT NULL DEFAULT '',
    fda_class       TEXT NOT NULL DEFAULT '',
    min_firmware    TEXT NOT NULL DEFAULT '',
    latest_firmware TEXT NOT NULL DEFAULT '',
    os              TEXT NOT NULL DEFAULT '',
    os_eol          TEXT NOT NULL DEFAULT '',
    support_end     TEXT NOT NULL DEFAULT '',
    allowed_tags    TEXT NOT NULL DEFAULT '',
    UNIQUE (manufacturer, model)
);

-- Devices. Dates are YYYY-MM-DD, instants RFC 3339 UTC, '' when unknown.
-- revision counts local changes; cmdb_version is the server's version the
-- record was last synced against.
CREATE TABLE devices (
    id               INTEGER PRIMARY KEY,
    asset_tag        TEXT NOT NULL UNIQUE,
    serial           TEXT NOT NULL DEFAULT '',
    model_id         INTEGER REFERENCES models(id),
    location_id      INTEGER REFERENCES locations(id),
    status           TEXT NOT NULL DEFAULT 'in_service',
    firmware_version TEXT NOT NULL DEFAULT '',
    os               TEXT NOT NULL DEFAULT '',
    os_version       TEXT NOT NULL DEFAULT '',
    hostname         TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    mac              TEXT NOT NULL DEFAULT '',
    ble_address      TEXT NOT NULL DEFAULT '',
    last_seen        TEXT NOT NULL DEFAULT '',
    last_audited     TEXT NOT NULL DEFAULT '',
    next_audit_due   TEXT NOT NULL DEFAULT '',
    last_pm          TEXT NOT NULL DEFAULT '',
    next_pm_due      TEXT NOT NULL DEFAULT '',
    owner            TEXT NOT NULL DEFAULT '',
    cmdb_id          TEXT NOT NULL DEFAULT '',
    cmdb_version     TEXT NOT NULL DEFAULT '',
    revision         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_location ON devices (location_id);
CREATE INDEX devices_model ON devices (model_id);

-- Identifiers index every way a device can be recognised. Values are
-- normalised by the store (MAC lower case with colons, BLE address upper
-- case). MAC, serial and UDI identify one device only.
CREATE TABLE identifiers (
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('mac', 'ble_address', 'ble_name', 'serial', 'hostname', 'ip', 'udi', 'cmdb_id')),
    value     TEXT NOT NULL,
    PRIMARY KEY (device_id, kind, value)
) WITHOUT ROWID;
CREATE UNIQUE INDEX identifiers_unique ON identifiers (kind, value) WHERE kind IN ('mac', 'serial', 'udi');
CREATE INDEX identifiers_lookup ON identifiers (kind, value);

-- Rounds and the rooms planned for them.
CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    technician  TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE round_rooms (
    round_id    INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (round_id, location_id)
);

-- A visit is one sweep of one room, possibly within a round.
CREATE TABLE visits (
    id          INTEGER PRIMARY KEY,
    round_id    INTEGER REFERENCES rounds(id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations(id),
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL DEFAULT '',
    ble_swept   INTEGER NOT NULL DEFAULT 0,
    ip_swept    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'swept', 'done'))
);
CREATE INDEX visits_round ON visits (round_id);
CREATE INDEX visits_location ON visits (location_id);

-- Observations of a visit; data is the scan.Observation as JSON.
CREATE TABLE observations (
    id       INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    source   TEXT NOT NULL,
    seen_at  TEXT NOT NULL,
    data     TEXT NOT NULL,
    UNIQUE (visit_id, key)
);

-- Findings of a visit; data is the reconcile finding with its flags as
-- JSON. action records what the technician did about it.
CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    visit_id       INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    device_id      INTEGER REFERENCES devices(id),
    observation_id INTEGER REFERENCES observations(id),
    data           TEXT NOT NULL DEFAULT '{}',
    action         TEXT NOT NULL DEFAULT '',
    acted_at       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX findings_visit ON findings (visit_id);

-- Notes a technician adds to a device.
CREATE TABLE notes (
    id        INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    text      TEXT NOT NULL
);

-- The change journal (outbox). Append-only: the facts of an entry never
-- change; only its delivery state moves (pending -> inflight -> acked,
-- conflict or rejected). changes is a JSON array of {field, old, new}.
CREATE TABLE journal (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_id TEXT NOT NULL UNIQUE,
    device_id      INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    asset_tag      TEXT NOT NULL,
    op             TEXT NOT NULL CHECK (op IN ('create', 'update', 'audit', 'note')),
    changes        TEXT NOT NULL,
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'inflight', 'acked', 'conflict', 'rejected')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    remote_ref     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_state ON journal (state, seq);

CREATE TRIGGER journal_facts_immutable
BEFORE UPDATE OF seq, idempotency_id, asset_tag, op, changes, at, actor ON journal
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only');
END;

CREATE TRIGGER journal_no_delete
BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'journal entries are append-only');
END;
