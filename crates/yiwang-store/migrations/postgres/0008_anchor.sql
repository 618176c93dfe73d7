-- yiwang on PostgreSQL, migration 8: the anchored record (as SQLite's schema version
-- 10, which says why): a log of every chain head written, kept by a trigger, and
-- checkpoints signed outside the database that seal it and the access log.
CREATE TABLE head_log (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    seq        integer NOT NULL,
    hash       text NOT NULL,
    checkpoint bigint
);
CREATE INDEX head_log_by_checkpoint ON head_log (checkpoint, id);

CREATE FUNCTION head_log_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO head_log (tenant, case_id, seq, hash) VALUES (NEW.tenant, NEW.case_id, NEW.seq, NEW.hash);
    RETURN NULL;
END;
$$;
CREATE TRIGGER head_log_on_insert AFTER INSERT ON chain_head FOR EACH ROW EXECUTE FUNCTION head_log_append();
CREATE TRIGGER head_log_on_update AFTER UPDATE OF seq, hash ON chain_head FOR EACH ROW EXECUTE FUNCTION head_log_append();

INSERT INTO head_log (tenant, case_id, seq, hash)
    SELECT tenant, case_id, seq, hash FROM chain_head ORDER BY created_at, tenant, case_id;

ALTER TABLE access_log ADD COLUMN checkpoint bigint;
CREATE INDEX access_log_by_checkpoint ON access_log (checkpoint, id);

CREATE TABLE checkpoint (
    n         bigint PRIMARY KEY,
    at        timestamptz NOT NULL,
    heads     bigint NOT NULL,
    accesses  bigint NOT NULL,
    digest    text NOT NULL,
    key_id    text NOT NULL,
    signature text NOT NULL
);

-- The security audit log, as on SQLite (schema version 10).
CREATE TABLE security_event (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    username   text,
    address    text,
    detail     text NOT NULL,
    checkpoint bigint
);
CREATE INDEX security_event_by_user ON security_event (username, at);
CREATE INDEX security_event_by_time ON security_event (at);
CREATE INDEX security_event_by_checkpoint ON security_event (checkpoint, id);

ALTER TABLE session ADD COLUMN last_seen_at timestamptz;

ALTER TABLE staff ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE staff ADD COLUMN password_changed_at timestamptz;

ALTER TABLE staff ADD COLUMN totp_secret text;
ALTER TABLE staff ADD COLUMN recovery_codes text NOT NULL DEFAULT '';
