-- The engine's journal and snapshots, PostgreSQL flavour: every acknowledged reading has all its
-- effects, whatever dies when. Keep in step with migrations/sqlite.

-- Each committed batch of new readings (JSON `[[sensor, metric, ts, value], ...]`), in commit
-- order, written in the same transaction as the readings themselves. The engine evaluates the
-- journal in `seq` order; rows at or before the latest engine snapshot are deleted when that
-- snapshot is saved. One writer per store commits
-- batches one after another, so `seq` order is commit order.
CREATE TABLE engine_journal (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    readings  TEXT   NOT NULL,
    count     BIGINT NOT NULL CHECK (count >= 1)
);

-- How far the engine's effects reach: every journal batch up to `applied_seq` has its changes in
-- the store, and so has every clock tick up to `applied_tick` (epoch ms; the deadlines and offline
-- checks it fired). Moved in the same transaction as those changes (one row).
CREATE TABLE engine_progress (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    applied_seq  BIGINT  NOT NULL CHECK (applied_seq >= 0),
    applied_tick BIGINT
);
INSERT INTO engine_progress (id, applied_seq, applied_tick) VALUES (1, 0, NULL);

-- The latest snapshot of the engine's rule state (alarm levels, `for` runs, windows, clear
-- countdowns, composite patterns), taken after journal batch `seq` under `generation` (one row).
CREATE TABLE engine_snapshot (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation TEXT    NOT NULL,
    seq        BIGINT  NOT NULL CHECK (seq >= 0),
    taken_at   BIGINT  NOT NULL,
    state      BYTEA   NOT NULL
);
