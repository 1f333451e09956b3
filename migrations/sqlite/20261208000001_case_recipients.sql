-- The departments a warning was issued to (a case's `issued_to`), one row each, so a department's
-- warnings are found by an index instead of a LIKE over the JSON text. Written with the case in
-- the same transaction; `cases.issued_to` stays as the case's own copy.
CREATE TABLE case_recipients (
    warning    INTEGER NOT NULL REFERENCES cases (warning),
    department TEXT    NOT NULL,
    PRIMARY KEY (warning, department)
);

CREATE INDEX case_recipients_by_department ON case_recipients (department, warning);

INSERT INTO case_recipients (warning, department)
SELECT DISTINCT c.warning, j.value FROM cases c, json_each(c.issued_to) j
WHERE j.type = 'text';
