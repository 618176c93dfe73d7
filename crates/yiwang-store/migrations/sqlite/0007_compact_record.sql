-- yiwang on SQLite, schema version 7: the record and its projections at ten million
-- cases. Measured with `yiwang bench scale`, a closed appeal took about 10 KB on disk
-- and some 50 B-tree inserts; this version halves both. Nothing recorded changes:
-- every event keeps its bytes (actor, body, hash), so every chain verifies as before.

-- The event log. The rowid is still the order of commits: a table keyed by chain
-- position (WITHOUT ROWID) was tried and wrote more slowly, as every page it fills
-- at its end is split by SQLite's general rebalancing rather than its quick append.
--   * No `prev_hash`: it is the hash of the row before, which the verifier reads
--     anyway; storing it again cost 64 bytes an event and proved nothing more.
--   * `created_at` is when the event was recorded here: `at` for every event recorded
--     live, the time of the import for a case imported with its history.
--   * The time index is on `created_at`, which only grows, so it is written at its end.
--     On `at` it took every imported event on a page of its own: a case's events
--     span weeks, and a bulk load of a year rewrote that index many times over.
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
    created_at TEXT NOT NULL,
    CONSTRAINT event_position UNIQUE (case_id, seq)
);
INSERT INTO event_v7 (case_id, seq, tenant, at, kind, actor, body, alg, hash, created_at)
    SELECT case_id, seq, tenant, at, kind, actor, body, alg, hash, created_at FROM event ORDER BY rowid;
DROP TABLE event;
ALTER TABLE event_v7 RENAME TO event;
-- Open311 servicerequestupdates lists the events recorded in a time window.
CREATE INDEX event_recorded ON event (created_at);

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

-- Who may see a case, and its co-units: small rows keyed by case, without a rowid
-- and the B-tree it costs on every insert.
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

-- The month's measures are counts, so they are kept as counts: one row per month,
-- unit and kind of fact (yiwang_core::measure::facts), moved by every write by the
-- difference between the case's facts before and after, in the same transaction.
-- Version 6 kept a row per fact (three per appeal, each in two B-trees) and counted
-- them on every request; this is a few thousand rows a year, and the month's tally
-- reads a few hundred. `satisfaction` is '' for facts that are not callbacks (a
-- WITHOUT ROWID key cannot be NULL). Rebuilt by reindex like every projection.
CREATE TABLE measure_tally (
    month        TEXT NOT NULL,
    unit         TEXT NOT NULL,
    kind         TEXT NOT NULL CONSTRAINT measure_tally_kind CHECK (kind IN ('dispatch','reply','callback')),
    flag         INTEGER NOT NULL,   -- responded / on_time / solved
    satisfaction TEXT NOT NULL,
    count        INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT measure_tally_key PRIMARY KEY (month, unit, kind, flag, satisfaction)
) WITHOUT ROWID;
INSERT INTO measure_tally
    SELECT month, unit, kind, flag, coalesce(satisfaction, ''), count(*), min(created_at)
    FROM measure_fact GROUP BY month, unit, kind, flag, coalesce(satisfaction, '');
DROP TABLE measure_fact;

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
