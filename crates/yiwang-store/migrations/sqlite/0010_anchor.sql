-- Schema version 10: the anchored record.
--
-- Each case's events chain by hash to its head (`chain_head`), but whoever can write
-- the database could rewrite a case and recompute its chain, delete a case whole, or
-- delete access-log entries, and every chain would still verify. From here:
--
-- * every chain head the store writes is logged, in order, in `head_log` (by the
--   triggers below, so no write path can skip it);
-- * a checkpoint, signed with a key kept outside the database, seals the heads and
--   access-log entries logged since the one before (`checkpoint`, `anchor.rs`). Its
--   digest chains from the checkpoint before it.
--
-- `audit verify` then checks that every logged head is the hash of the event at that
-- number, that every sealed row is as it was sealed, and that the checkpoints are
-- signed and chain; compared against checkpoints exported to an outside witness, it
-- also shows a database rolled back to an earlier copy. What was written after the
-- last checkpoint is not sealed yet: that is the window ARCHITECTURE.md documents.
CREATE TABLE head_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant     TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    -- The checkpoint that sealed the row; NULL until one does.
    checkpoint INTEGER
);
-- Rows by checkpoint, in id order (the rowid): the unsealed ones (NULL) for the
-- next checkpoint, each sealed one's for `audit verify`.
CREATE INDEX head_log_by_checkpoint ON head_log (checkpoint);

CREATE TRIGGER head_log_on_insert AFTER INSERT ON chain_head BEGIN
    INSERT INTO head_log (tenant, case_id, seq, hash) VALUES (NEW.tenant, NEW.case_id, NEW.seq, NEW.hash);
END;
CREATE TRIGGER head_log_on_update AFTER UPDATE OF seq, hash ON chain_head BEGIN
    INSERT INTO head_log (tenant, case_id, seq, hash) VALUES (NEW.tenant, NEW.case_id, NEW.seq, NEW.hash);
END;

-- The cases stored before: each one's head as it stands, for the first checkpoint.
INSERT INTO head_log (tenant, case_id, seq, hash)
    SELECT tenant, case_id, seq, hash FROM chain_head ORDER BY created_at, case_id;

ALTER TABLE access_log ADD COLUMN checkpoint INTEGER;
CREATE INDEX access_log_by_checkpoint ON access_log (checkpoint);

CREATE TABLE checkpoint (
    n         INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    -- How many head_log and access_log rows it seals.
    heads     INTEGER NOT NULL,
    accesses  INTEGER NOT NULL,
    -- SHA-256 over the checkpoint before and the rows sealed (`anchor::Sealer`).
    digest    TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- The security audit log (安全审计): logins and their failures with the client's
-- address, logouts, lock-outs and unlocks, refusals, reveals, exports, changes to
-- staff, keys and settings. Append-only; sealed by the checkpoints with the access log.
CREATE TABLE security_event (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    username   TEXT,
    address    TEXT,
    detail     TEXT NOT NULL,
    checkpoint INTEGER
);
CREATE INDEX security_event_by_user ON security_event (username, at);
CREATE INDEX security_event_by_time ON security_event (at);
CREATE INDEX security_event_by_checkpoint ON security_event (checkpoint);

-- Sessions end after a while without use, besides their absolute end.
ALTER TABLE session ADD COLUMN last_seen_at TEXT;

-- An imported default password must be changed at first login; passwords may expire.
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN password_changed_at TEXT;

-- Two-factor login (TOTP, RFC 6238): the shared secret (base32) and the SHA-256 of each
-- unused recovery code, comma-separated.
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '';
