-- Phone call tasks a duty officer marks (POST /api/v1/outbox/{id}/call, docs/NOTIFY.md): one row
-- per mark of an outbox row of channel `phone`, newest last. `outcome` is `placed`, `answered`,
-- `no_answer` or `wrong_number`; `marked_by` is the actor id (`user:<id>`), `marked_by_name` its
-- name for people. Times are clock milliseconds. Rows are only appended.
CREATE TABLE call_outcomes (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox         BIGINT  NOT NULL REFERENCES outbox (id),
    outcome        TEXT    NOT NULL
                   CHECK (outcome IN ('placed', 'answered', 'no_answer', 'wrong_number')),
    note           TEXT    NOT NULL,
    marked_by      TEXT    NOT NULL,
    marked_by_name TEXT    NOT NULL,
    marked_at      BIGINT  NOT NULL
);

CREATE INDEX call_outcomes_outbox ON call_outcomes (outbox, id);
