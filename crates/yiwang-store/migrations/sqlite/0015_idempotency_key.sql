-- Clients' Idempotency-Keys (issue 19): a write that carries one stores it here in
-- its own commit, so a retry after a lost answer (a connection dropped, a database
-- failing over) finds the case the first try made instead of making a second. A key
-- is scoped per client credential (`scope`: an API key, a staff user, an anonymous
-- client's address) and remembers a digest of the request (`fingerprint`), so the
-- same key with another body is refused. Kept 24 hours, then purged
-- (`idempotency_key_created` serves the purge). An engine table: no kind adds to it.
CREATE TABLE idempotency_key (
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT idempotency_key_pk PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
