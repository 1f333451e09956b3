-- The engine's journal and snapshots, SQLite flavour: every acknowledged reading has all its
-- effects, whatever dies when. Keep in step with migrations/postgres.

-- Each committed batch of new readings (JSON `[[sensor, metric, ts, value], ...]`), in commit
-- order, written in the same transaction as the readings themselves. The engine evaluates the
-- journal in `seq` order; rows at or before the latest engine snapshot are deleted when that
-- snapshot is saved.
CREATE TABLE engine_journal (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    readings  TEXT    NOT NULL,
    count     INTEGER NOT NULL CHECK (count >= 1)
);

-- How far the engine's effects reach: every journal batch up to `applied_seq` has its changes in
-- the store, and so has every clock tick up to `applied_tick` (epoch ms; the deadlines and offline
-- checks it fired). Moved in the same transaction as those changes (one row).
CREATE TABLE engine_progress (
    id           INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    applied_seq  INTEGER NOT NULL CHECK (applied_seq >= 0),
    applied_tick INTEGER
);
INSERT INTO engine_progress (id, applied_seq, applied_tick) VALUES (1, 0, NULL);

-- The latest snapshot of the engine's rule state (alarm levels, `for` runs, windows, clear
-- countdowns, composite patterns), taken after journal batch `seq` under `generation` (one row).
CREATE TABLE engine_snapshot (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation TEXT    NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    taken_at   INTEGER NOT NULL,
    state      BLOB    NOT NULL
);
