-- The notifications outbox: what a write must tell someone (a citizen's SMS or
-- e-mail, later a department system's webhook), inserted in the write's own commit so
-- that no acknowledged event loses its message and no refused one sends any. The app
-- renders and sends each entry; `next_at` is when it is next tried (NULL once sent or
-- given up), `attempts` how often it was, `last_error` why the last try failed.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    case_id     TEXT,
    template    TEXT NOT NULL,
    recipient   TEXT,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT,
    sent_at     TEXT,
    last_error  TEXT
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX outbox_by_case ON outbox (case_id);
