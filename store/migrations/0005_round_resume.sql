-- Where the technician was in a round (screen, room, visit, cursor), so
-- that an interrupted round reopens exactly there. One row per round;
-- state is JSON owned by the TUI.
CREATE TABLE round_resume (
    round_id   INTEGER PRIMARY KEY REFERENCES rounds(id) ON DELETE CASCADE,
    state      TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
