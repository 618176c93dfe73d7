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

-- The queues' indexes. A queue of open cases (待签收, 办理中, 即将超时, 已超时, 待回访 …)
-- is read far more often than it changes, and at ten million cases a year a unit holds
-- thousands of open cases among hundreds of thousands closed. Indexes over open cases
-- only (closed_at IS NULL: not closed) stay small whatever the history, and a closed
-- case leaves them. Each leads with what a queue fixes and then the accepted time,
-- so a page is read in order and stops at its last row; the stage rides along so the
-- 即将超时 and 已超时 queues filter on the index. All of a unit's cases, closed ones
-- included, go by (unit, accepted_at).
DROP INDEX appeal_unit_status;
DROP INDEX appeal_status;
CREATE INDEX appeal_unit ON appeal (unit, accepted_at);
CREATE INDEX appeal_open_unit ON appeal (unit, status, accepted_at, stage) WHERE closed_at IS NULL;
CREATE INDEX appeal_open_status ON appeal (status, accepted_at, stage) WHERE closed_at IS NULL;
CREATE INDEX appeal_open_stage ON appeal (stage, accepted_at, status, unit) WHERE closed_at IS NULL;

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
-- FTS5 writes each transaction's terms as a new segment and merges segments that
-- pile up on a level. By default it merges four at a time (and at sixteen at once),
-- so a case's terms were rewritten some seven times on the way to ten million cases,
-- and merging took a sixth of the writer's time. Merging sixteen at a time rewrites
-- them half as often; a query then reads a few more, larger segments (measured with
-- `yiwang bench scale`: loading 1.3 times as fast, search as fast). Terms are held in
-- memory up to 16 MB before a segment is written (default 1 MB), so a bulk load's
-- transactions make one segment each.
INSERT INTO appeal_text_v7 (appeal_text_v7, rank) VALUES ('automerge', 16);
INSERT INTO appeal_text_v7 (appeal_text_v7, rank) VALUES ('crisismerge', 64);
INSERT INTO appeal_text_v7 (appeal_text_v7, rank) VALUES ('hashsize', 16777216);
INSERT INTO appeal_text_v7 (rowid, body) SELECT rowid, body FROM appeal_text;
DROP TABLE appeal_text;
ALTER TABLE appeal_text_v7 RENAME TO appeal_text;
