-- Delivery of the outbox (src/notify): a row goes queued -> sending -> delivered, or failed (a
-- retry is due at `next_attempt_at`), or dead (no tries left; escalated to the next channel), or
-- suppressed (kept, never sent). A worker claims a row by setting `claimed_by` and a lease
-- `claimed_until`; while `sending`, `next_attempt_at` equals the lease end, so a row whose worker
-- died is due again when the lease expires. Times are clock milliseconds.
ALTER TABLE outbox ADD COLUMN attempts        BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_by      TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until   BIGINT;
ALTER TABLE outbox ADD COLUMN delivered_at    BIGINT;
ALTER TABLE outbox ADD COLUMN provider_id     TEXT;
ALTER TABLE outbox ADD COLUMN last_error      TEXT;

CREATE INDEX outbox_due ON outbox (next_attempt_at, id)
    WHERE status IN ('queued', 'failed', 'sending');

-- One row per delivery attempt. `endpoint` names where it went (a URL without credentials, an
-- SMTP host, a gateway name), never a secret.
CREATE TABLE outbox_attempts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox      BIGINT  NOT NULL REFERENCES outbox (id),
    attempt     BIGINT  NOT NULL,
    worker      TEXT    NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('delivered', 'failed', 'dead')),
    provider_id TEXT,
    error       TEXT,
    endpoint    TEXT    NOT NULL,
    UNIQUE (outbox, attempt)
);
