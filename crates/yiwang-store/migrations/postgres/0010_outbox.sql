-- The notifications outbox, as on SQLite (schema version 12).
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL,
    case_id     text,
    template    text NOT NULL,
    recipient   text,
    created_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz,
    sent_at     timestamptz,
    last_error  text
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX outbox_by_case ON outbox (case_id);
