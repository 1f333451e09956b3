-- Scheduled reports (src/runtime/schedule.rs, docs/REPORTS.md): one row per report kind and
-- period (`daily`, the local date `YYYY-MM-DD` the report covers). UNIQUE (kind, period) makes a
-- run recorded once, so a crash or restart never sends one period's report twice: a row is
-- `pending` until sent, `failed` while retries remain (`next_attempt_at`), then `sent` or
-- `dead`; a missed run older than the latest is recorded `skipped`. `message_id` is the stable
-- Message-ID derived from (kind, period). Times are clock milliseconds.
CREATE TABLE scheduled_reports (
    kind            TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    due_at          INTEGER NOT NULL,
    status          TEXT    NOT NULL
                    CHECK (status IN ('pending', 'failed', 'sent', 'dead', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT,
    sent_at         INTEGER,
    message_id      TEXT    NOT NULL,
    UNIQUE (kind, period)
);

CREATE INDEX scheduled_reports_due ON scheduled_reports (kind, due_at);
