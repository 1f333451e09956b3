-- The recipient word travels with the row: `audience` is the workflow's word that named the
-- department (`department_duty_leader`, `district_government`, `city_duty_office`, ...), so the
-- address book tells the people of that role (the duty leader, not the duty officer). Rows stored
-- before it was kept, and rows naming a department by id, say `department`: its duty officer.
ALTER TABLE outbox ADD COLUMN audience TEXT NOT NULL DEFAULT 'department';

-- The queue-depth gauges (`tocsin_outbox_messages{status,channel}`) count rows not delivered by
-- status and channel; delivered rows, the bulk of the table, stay out of this index.
CREATE INDEX outbox_undelivered ON outbox (status, channel, created_at)
    WHERE status IN ('queued', 'sending', 'failed', 'dead', 'suppressed');
