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
