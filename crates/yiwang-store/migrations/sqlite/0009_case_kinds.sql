-- yiwang on SQLite, schema version 9: one engine for every kind of case.
--
-- Until now the record held appeals only, and the projections were the appeal's:
-- `appeal`, `appeal_access`, `appeal_co_unit`, `appeal_text`, and counts whose
-- values were pinned to the appeal's. From here a case may be of any kind (appeal,
-- task, …): the store keeps what every kind shows the engine (`case::Projection`)
-- in tables of its own, and a kind adds no table and no column. Nothing recorded
-- changes: every event keeps its bytes, so every chain verifies as before.

-- The record: each case's kind, beside its chain head. `load` folds a case's events
-- with its kind, so the kind belongs to the record, not to a projection that may be
-- dropped. Every case stored so far is an appeal. The default only gives those rows
-- their kind (adding a column with a constant default rewrites nothing); the store
-- writes every new row's kind itself.
ALTER TABLE chain_head ADD COLUMN case_kind TEXT NOT NULL DEFAULT 'appeal';

-- Case numbers are counted per kind and day: each kind's prefix (YW for appeals)
-- numbers its own cases, so a day's appeals keep consecutive numbers whatever else is
-- opened that day. The counts so far are the appeals'.
CREATE TABLE case_counter_v9 (
    prefix     TEXT NOT NULL,
    day        TEXT NOT NULL,
    last_seq   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT case_counter_key PRIMARY KEY (prefix, day)
) WITHOUT ROWID;
INSERT INTO case_counter_v9 SELECT 'YW', day, last_seq, created_at FROM case_counter;
DROP TABLE case_counter;
ALTER TABLE case_counter_v9 RENAME TO case_counter;

-- Projections from here on: `reindex` rebuilds every one of them from the events.

-- The header of every case: the columns every queue, list and search reads
-- (`case::Header`), and the kind's own columns as a JSON document (`detail`), which
-- queues show and may filter by. An appeal keeps its type, channel and urgency there,
-- and whether it was returned or is supervised, defaults left out (a typical
-- document: {"appeal_type":"complaint","channel":"hotline"}).
--   * `person` is the person a case is for (an appeal's citizen); `tracking_code` the
--     code an outsider follows it by, unique among all cases (NULLs are not compared).
--   * `opened_at` is when it was opened: an appeal's acceptance.
-- Each row keeps its appeal's rowid, which the full-text index is keyed by.
CREATE TABLE case_header (
    case_id       TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    case_kind     TEXT NOT NULL,
    status        TEXT NOT NULL,
    title         TEXT,
    unit          TEXT,
    category      TEXT,
    area          TEXT,
    stage         TEXT NOT NULL,
    next_due      TEXT,
    next_alarm    TEXT,
    person        INTEGER,
    tracking_code TEXT,
    opened_at     TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    closed_at     TEXT,
    version       INTEGER NOT NULL,
    detail        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CONSTRAINT case_tracking_code UNIQUE (tracking_code)
);
-- The appeal's own columns become its detail document, written exactly as the
-- appeal's kind writes it (serde's field order, defaults left out), so a reindex
-- gives the same text.
INSERT INTO case_header (rowid, case_id, tenant, case_kind, status, title, unit, category, area, stage, next_due,
                         next_alarm, person, tracking_code, opened_at, updated_at, closed_at, version, detail,
                         created_at)
    SELECT rowid, case_id, tenant, 'appeal', status, title, unit, category, area, stage, next_due, next_alarm,
           citizen, tracking_code, accepted_at, updated_at, closed_at, version,
           '{"appeal_type":"' || appeal_type || '","channel":"' || channel || '"'
               || CASE WHEN urgency <> 'normal' THEN ',"urgency":"' || urgency || '"' ELSE '' END
               || CASE WHEN returned THEN ',"returned":true' ELSE '' END
               || CASE WHEN supervised THEN ',"supervised":true' ELSE '' END
               || '}',
           created_at
    FROM appeal ORDER BY rowid;
DROP TABLE appeal;

-- The queues' indexes, as schema 7 made them for appeals (see there), over cases of
-- every kind. The kind comes first: a queue is a queue of one kind, and its range of
-- the index is then only that kind's (with the kind last, counting a unit's red
-- appeals compared every entry's kind as well: half as long again). A query over
-- every kind (a unit's 我的待办) reads one range per kind (`case_kind IN (…)`).
CREATE INDEX case_alarm ON case_header (next_alarm) WHERE next_alarm IS NOT NULL;
CREATE INDEX case_opened ON case_header (opened_at);
CREATE INDEX case_unit ON case_header (case_kind, unit, opened_at);
CREATE INDEX case_open_unit ON case_header (case_kind, unit, status, opened_at, stage) WHERE closed_at IS NULL;
CREATE INDEX case_open_status ON case_header (case_kind, status, opened_at, stage) WHERE closed_at IS NULL;
CREATE INDEX case_open_stage ON case_header (case_kind, stage, opened_at, status, unit) WHERE closed_at IS NULL;

-- The full-text index keeps its rows: they are keyed by the rowids kept above.
ALTER TABLE appeal_text RENAME TO case_text;
-- From here each case's text carries a token naming its kind (`§task`), so that a
-- search within a kind is answered and counted by the index alone, without reading
-- a case row per match. The rows indexed so far carry none: they are all appeals,
-- and the kind named here is the one whose cases carry no marker.
CREATE TABLE case_text_unmarked (case_kind TEXT NOT NULL);
INSERT INTO case_text_unmarked VALUES ('appeal');

-- Who may see a case besides those who see every case of its kind
-- (`Projection::access`), and the units taking part as co-units.
CREATE TABLE case_access (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT case_access_key PRIMARY KEY (case_id, unit)
) WITHOUT ROWID;
INSERT INTO case_access SELECT case_id, unit, created_at FROM appeal_access;
DROP TABLE appeal_access;
CREATE INDEX case_access_unit ON case_access (unit);

CREATE TABLE case_co_unit (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT case_co_unit_key PRIMARY KEY (case_id, unit)
) WITHOUT ROWID;
INSERT INTO case_co_unit SELECT case_id, unit, created_at FROM appeal_co_unit;
DROP TABLE appeal_co_unit;
CREATE INDEX case_co_unit_unit ON case_co_unit (unit);

-- The month's counts of every kind's facts (`case::Fact`): a fact's name, flag and
-- value are the kind's, so nothing pins them to the appeal's three any more. The
-- appeal's were (kind, flag, satisfaction); they are (fact, flag, value) now, and its
-- `kind` column, which would read as the case's kind, is `fact`.
CREATE TABLE measure_tally_v9 (
    month      TEXT NOT NULL,
    case_kind  TEXT NOT NULL,
    unit       TEXT NOT NULL,
    fact       TEXT NOT NULL,
    flag       INTEGER NOT NULL,
    value      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT measure_tally_key PRIMARY KEY (month, case_kind, unit, fact, flag, value)
) WITHOUT ROWID;
INSERT INTO measure_tally_v9
    SELECT month, 'appeal', unit, kind, flag, satisfaction, count, created_at FROM measure_tally;
DROP TABLE measure_tally;
ALTER TABLE measure_tally_v9 RENAME TO measure_tally;

-- The dashboards' volumes per kind: a kind names its own dimensions.
CREATE TABLE volume_tally_v9 (
    case_kind  TEXT NOT NULL,
    day        TEXT NOT NULL,
    dimension  TEXT NOT NULL,
    value      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT volume_tally_key PRIMARY KEY (case_kind, day, dimension, value)
) WITHOUT ROWID;
INSERT INTO volume_tally_v9 SELECT 'appeal', day, dimension, value, count, created_at FROM volume_tally;
DROP TABLE volume_tally;
ALTER TABLE volume_tally_v9 RENAME TO volume_tally;
