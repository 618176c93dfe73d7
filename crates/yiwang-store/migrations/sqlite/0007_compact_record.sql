-- yiwang on SQLite, schema version 7: the record and its projections at ten million
-- cases. Measured with `yiwang bench scale`, a closed appeal took about 10 KB on disk
-- and some 50 B-tree inserts; this version halves both. Nothing recorded changes:
-- every event keeps its bytes (actor, body, hash), so every chain verifies as before.

-- The event log, stored in chain order: a case's events sit together, keyed by their
-- chain position, so reading a case is one range of one B-tree and no second index is
-- kept for it.
--   * No `prev_hash`: it is the hash of the row before, which the verifier reads
--     anyway; storing it again cost 64 bytes an event and proved nothing more.
--   * `created_at` is `at` (an event is recorded when it happens), computed, not stored.
CREATE TABLE event_v7 (
    case_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    tenant     TEXT NOT NULL,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    body       TEXT NOT NULL,
    alg        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at TEXT GENERATED ALWAYS AS (at) VIRTUAL,
    CONSTRAINT event_position PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
INSERT INTO event_v7 (case_id, seq, tenant, at, kind, actor, body, alg, hash)
    SELECT case_id, seq, tenant, at, kind, actor, body, alg, hash FROM event ORDER BY case_id, seq;
DROP TABLE event;
ALTER TABLE event_v7 RENAME TO event;
-- Open311 servicerequestupdates lists the events of a time window.
CREATE INDEX event_at ON event (at);

-- The chain heads, keyed by case alone (no rowid and second index).
CREATE TABLE chain_head_v7 (
    case_id    TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT chain_head_case PRIMARY KEY (case_id)
) WITHOUT ROWID;
INSERT INTO chain_head_v7 SELECT case_id, tenant, seq, hash, created_at FROM chain_head;
DROP TABLE chain_head;
ALTER TABLE chain_head_v7 RENAME TO chain_head;

-- Projections from here on: `reindex` rebuilds them from the events.

-- A case's state is the fold of its events, read from the log when needed, not kept
-- a second time as JSON (a third of an appeal row).
ALTER TABLE appeal DROP COLUMN state;

-- Who may see a case, co-units and measure facts: small rows keyed by case, without a
-- rowid and the B-tree it costs on every insert.
CREATE TABLE appeal_access_v7 (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT appeal_access_key PRIMARY KEY (case_id, unit)
) WITHOUT ROWID;
INSERT INTO appeal_access_v7 SELECT case_id, unit, created_at FROM appeal_access;
DROP TABLE appeal_access;
ALTER TABLE appeal_access_v7 RENAME TO appeal_access;
CREATE INDEX appeal_access_unit ON appeal_access (unit);

CREATE TABLE appeal_co_unit_v7 (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT appeal_co_unit_key PRIMARY KEY (case_id, unit)
) WITHOUT ROWID;
INSERT INTO appeal_co_unit_v7 SELECT case_id, unit, created_at FROM appeal_co_unit;
DROP TABLE appeal_co_unit;
ALTER TABLE appeal_co_unit_v7 RENAME TO appeal_co_unit;
CREATE INDEX appeal_co_unit_unit ON appeal_co_unit (unit);

-- `n` numbers a case's facts in the order yiwang_core::measure::facts gives them.
CREATE TABLE measure_fact_v7 (
    case_id      TEXT NOT NULL,
    n            INTEGER NOT NULL,
    unit         TEXT NOT NULL,
    month        TEXT NOT NULL,
    kind         TEXT NOT NULL CONSTRAINT measure_fact_kind CHECK (kind IN ('dispatch','reply','callback')),
    flag         INTEGER NOT NULL,   -- responded / on_time / solved
    satisfaction TEXT,
    created_at   TEXT NOT NULL,
    CONSTRAINT measure_fact_key PRIMARY KEY (case_id, n)
) WITHOUT ROWID;
INSERT INTO measure_fact_v7
    SELECT case_id, row_number() OVER (PARTITION BY case_id ORDER BY rowid) - 1,
           unit, month, kind, flag, satisfaction, created_at
    FROM measure_fact;
DROP TABLE measure_fact;
ALTER TABLE measure_fact_v7 RENAME TO measure_fact;
-- The month's tally is one ordered scan of this index (see version 5).
CREATE INDEX measure_fact_tally ON measure_fact (month, unit, kind, flag, satisfaction);

-- Full-text search keeps its index only: the tokens it was built from are the case's
-- text run through `search::case_tokens`, which reindex derives again. A copy of them
-- in the index (FTS5's content table) cost as much as the index itself. The tokens
-- are already split, space-separated and lowercased (`search::index_tokens`), so
-- FTS5's `ascii` tokenizer, which only splits at ASCII spaces and punctuation, reads
-- them as `unicode61` did, without looking every character up in Unicode's tables.
CREATE VIRTUAL TABLE appeal_text_v7 USING fts5(body, content = '', contentless_delete = 1, tokenize = 'ascii');
INSERT INTO appeal_text_v7 (rowid, body) SELECT rowid, body FROM appeal_text;
DROP TABLE appeal_text;
ALTER TABLE appeal_text_v7 RENAME TO appeal_text;
