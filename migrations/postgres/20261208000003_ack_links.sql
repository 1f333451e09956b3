-- Acknowledgment links (src/notify/ack.rs, src/api/ack.rs): the server's key, generated once
-- when the settings name none (`ack.secret`), and the tokens already used, so a link
-- acknowledges once. A token is remembered by the hex SHA-256 of its text. Times are clock ms.
CREATE TABLE ack_key (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    secret     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE ack_tokens_used (
    digest  TEXT    PRIMARY KEY,
    outbox  BIGINT  NOT NULL,
    warning BIGINT  NOT NULL,
    person  TEXT    NOT NULL,
    used_at BIGINT  NOT NULL
);
