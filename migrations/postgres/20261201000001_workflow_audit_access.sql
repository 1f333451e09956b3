-- Closed-loop workflows, the audit log, users and tokens, PostgreSQL flavour. Keep in step with
-- migrations/sqlite.

-- Where a warning came from, whether it is an exercise, and its latest level-history `seq` (kept
-- by every history append, so "not reacted to yet" is a comparison of two columns).
ALTER TABLE warnings ADD COLUMN source TEXT NOT NULL DEFAULT 'sensor'
    CHECK (source IN ('sensor', 'manual', 'merged'));
ALTER TABLE warnings ADD COLUMN drill BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE warnings ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
UPDATE warnings SET last_seq = h.seq
    FROM (SELECT warning, MAX(seq) AS seq FROM warning_history GROUP BY warning) AS h
    WHERE h.warning = warnings.id;

-- At most one open warning per (asset, hazard) and drill flag: an exercise never merges with a
-- real warning.
DROP INDEX warnings_one_open;
CREATE UNIQUE INDEX warnings_one_open ON warnings (asset, hazard, drill) WHERE state = 'open';
-- The cleared warning a recurrence reopens.
CREATE INDEX warnings_by_asset ON warnings (asset, hazard, id);

-- The workflow state of a warning (its case, 工单); the escalation timer is `due_at`/`due_rung`.
CREATE TABLE cases (
    warning     BIGINT  PRIMARY KEY REFERENCES warnings (id),
    workflow    TEXT    NOT NULL,
    stage       TEXT    NOT NULL,
    stage_since BIGINT  NOT NULL,
    level       TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    drill       BOOLEAN NOT NULL,
    rungs_fired BIGINT  NOT NULL CHECK (rungs_fired >= 0),
    due_at      BIGINT,
    due_rung    BIGINT  CHECK (due_rung >= 0),
    supervised  BOOLEAN NOT NULL,
    issued_to   JSONB   NOT NULL,
    reacted_seq BIGINT  NOT NULL,
    opened_at   BIGINT  NOT NULL,
    closed_at   BIGINT,
    version     BIGINT  NOT NULL CHECK (version >= 1),
    CHECK ((due_at IS NULL) = (due_rung IS NULL))
);

CREATE INDEX cases_due ON cases (due_at, warning) WHERE due_at IS NOT NULL;
CREATE INDEX cases_by_stage ON cases (stage);

-- Warnings with level history the duty desk has not reacted to yet, with the `seq` of their
-- latest entry: every history append upserts its row (taking the row lock, so a concurrent case
-- save waits and sees the new `seq`), and a case save deletes the row once its `reacted_seq` has
-- reached that `seq`, in the same transactions. The desk's sweep reads this small table instead
-- of joining all warnings with their cases. Of the warnings from before this migration only the
-- open ones wait (a warning cleared before workflows existed gets no case).
CREATE TABLE desk_pending (
    warning BIGINT PRIMARY KEY NOT NULL REFERENCES warnings (id),
    seq     BIGINT NOT NULL
);
INSERT INTO desk_pending (warning, seq) SELECT id, last_seq FROM warnings WHERE state = 'open';

-- Notifications to deliver, written with the case change that caused them; `key` makes a retried
-- save a no-op.
CREATE TABLE outbox (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        TEXT    NOT NULL UNIQUE,
    warning    BIGINT  NOT NULL REFERENCES warnings (id),
    recipient  TEXT    NOT NULL,
    channel    TEXT    NOT NULL CHECK (channel IN ('sms', 'email', 'webhook', 'phone')),
    level      TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    drill      BOOLEAN NOT NULL,
    reason     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'queued'
);

CREATE INDEX outbox_by_warning ON outbox (warning, id);
CREATE INDEX outbox_by_status ON outbox (status, id);

-- The append-only, hash-chained audit log. `detail` is TEXT, never JSONB: the hash covers the
-- exact text. Nothing in the engine updates or deletes a row.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY CHECK (seq >= 1),
    at         BIGINT NOT NULL,
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    warning    BIGINT,
    generation TEXT,
    subject    TEXT   NOT NULL,
    detail     TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);

CREATE INDEX audit_by_warning ON audit_log (warning, seq) WHERE warning IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE INDEX audit_by_time ON audit_log (at, seq);

-- People and their API tokens (stored as SHA-256 hashes only).
CREATE TABLE users (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    role       TEXT   NOT NULL CHECK (role IN ('admin', 'rule_editor', 'duty_officer',
                   'department_user', 'district_user', 'auditor', 'ingest_client')),
    department TEXT,
    district   TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    hash         TEXT   NOT NULL UNIQUE,
    prefix       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);
