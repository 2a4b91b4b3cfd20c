-- Facts about where this database came from. 'generated' marks an
-- inventory made by `rounds generate` or the demo; 'confirmed-segment:CIDR'
-- records that the user agreed to sweep a segment that is not loopback in
-- such a database (issue 11: a newcomer must not sweep their own network
-- by pressing Enter).
CREATE TABLE origin (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL,
    set_at TEXT NOT NULL
) STRICT;
