-- Clients' Idempotency-Keys, as on SQLite (schema version 15): stored in the commit
-- of the write that carries one, scoped per client credential, with a digest of the
-- request; kept 24 hours, then purged.
CREATE TABLE idempotency_key (
    scope       text NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    case_id     text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT idempotency_key_pk PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
