-- yiwang on PostgreSQL, migration 7: one engine for every kind of case (as SQLite's
-- schema version 9, which says why in more words).
--
-- The projections were the appeal's (`appeal`, `appeal_access`, `appeal_co_unit`,
-- counts pinned to the appeal's values). From here a case may be of any kind, and the
-- store keeps what every kind shows the engine (`case::Projection`) in tables of its
-- own. Nothing recorded changes: every event keeps its bytes.

-- The record: each case's kind, beside its chain head (`load` folds a case's events
-- with it). Every case stored so far is an appeal; the default is dropped at once, so
-- the store must name every new row's kind (adding a column with a constant default
-- rewrites no row in PostgreSQL 11 and later: the rows read the value from the
-- catalogue).
ALTER TABLE chain_head ADD COLUMN case_kind text NOT NULL DEFAULT 'appeal';
ALTER TABLE chain_head ALTER COLUMN case_kind DROP DEFAULT;

-- Case numbers are counted per kind and day (each kind's prefix numbers its own); the
-- counts so far are the appeals'.
ALTER TABLE case_counter ADD COLUMN prefix text NOT NULL DEFAULT 'YW';
ALTER TABLE case_counter ALTER COLUMN prefix DROP DEFAULT;
ALTER TABLE case_counter DROP CONSTRAINT case_counter_pkey;
ALTER TABLE case_counter ADD CONSTRAINT case_counter_pkey PRIMARY KEY (prefix, day);

-- The header of every case, with the kind's own columns as a JSON document
-- (`detail`) and the full-text vector. The appeal row's state (jsonb) is gone: `load`
-- folds a case's events, as on SQLite, so no projection is needed to write, and a
-- case's text is read from its first event. The key and the unique tracking code
-- start with `tenant` for Citus.
CREATE TABLE case_header (
    tenant        text NOT NULL,
    case_id       text NOT NULL,
    case_kind     text NOT NULL,
    status        text NOT NULL,
    title         text,
    unit          text,
    category      text,
    area          text,
    stage         text NOT NULL,
    next_due      timestamptz,
    next_alarm    timestamptz,
    person        bigint,
    tracking_code text,
    opened_at     timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    closed_at     timestamptz,
    version       integer NOT NULL,
    detail        jsonb NOT NULL,
    search        tsvector NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT case_header_pkey PRIMARY KEY (tenant, case_id),
    CONSTRAINT case_tracking_code UNIQUE (tenant, tracking_code)
);
-- The search vector is compressed with LZ4 where the server has it (see migration 4).
DO $$
BEGIN
    ALTER TABLE case_header ALTER COLUMN search SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: case_header.search stays compressed with pglz';
END
$$;
INSERT INTO case_header
    SELECT tenant, case_id, 'appeal', status, title, unit, category, area, stage, next_due, next_alarm, citizen,
           tracking_code, accepted_at, updated_at, closed_at, version,
           jsonb_build_object('appeal_type', appeal_type, 'channel', channel)
               || CASE WHEN urgency <> 'normal' THEN jsonb_build_object('urgency', urgency) ELSE '{}' END
               || CASE WHEN returned THEN '{"returned": true}'::jsonb ELSE '{}' END
               || CASE WHEN supervised THEN '{"supervised": true}'::jsonb ELSE '{}' END,
           search, created_at
    FROM appeal;
DROP TABLE appeal;
CREATE INDEX case_header_case ON case_header (case_id);
CREATE INDEX case_header_tracking ON case_header (tracking_code);
CREATE INDEX case_header_unit_status ON case_header (unit, status, opened_at);
CREATE INDEX case_header_status ON case_header (status, opened_at);
CREATE INDEX case_header_alarm ON case_header (next_alarm) WHERE next_alarm IS NOT NULL;
CREATE INDEX case_header_opened_case ON case_header (opened_at, case_id COLLATE "C");
CREATE INDEX case_header_search ON case_header USING gin (search);

-- Who may see a case, and its co-units: the same rows under the engine's names.
ALTER TABLE appeal_access RENAME TO case_access;
ALTER TABLE case_access RENAME CONSTRAINT appeal_access_pkey TO case_access_pkey;
ALTER INDEX appeal_access_unit RENAME TO case_access_unit;
ALTER TABLE appeal_co_unit RENAME TO case_co_unit;
ALTER TABLE case_co_unit RENAME CONSTRAINT appeal_co_unit_pkey TO case_co_unit_pkey;
ALTER INDEX appeal_co_unit_unit RENAME TO case_co_unit_unit;

-- The month's counts of every kind's facts: (fact, flag, value), no longer pinned to
-- the appeal's three; the column that read as the case's kind is `fact`.
ALTER TABLE measure_tally DROP CONSTRAINT measure_tally_kind;
ALTER TABLE measure_tally RENAME COLUMN kind TO fact;
ALTER TABLE measure_tally RENAME COLUMN satisfaction TO value;
ALTER TABLE measure_tally ADD COLUMN case_kind text NOT NULL DEFAULT 'appeal';
ALTER TABLE measure_tally ALTER COLUMN case_kind DROP DEFAULT;
ALTER TABLE measure_tally DROP CONSTRAINT measure_tally_pkey;
ALTER TABLE measure_tally ADD CONSTRAINT measure_tally_pkey
    PRIMARY KEY (tenant, month, case_kind, unit, fact, flag, value, slot);

-- The dashboards' volumes per kind, each kind naming its own dimensions.
ALTER TABLE volume_tally DROP CONSTRAINT volume_tally_dimension;
ALTER TABLE volume_tally ADD COLUMN case_kind text NOT NULL DEFAULT 'appeal';
ALTER TABLE volume_tally ALTER COLUMN case_kind DROP DEFAULT;
ALTER TABLE volume_tally DROP CONSTRAINT volume_tally_pkey;
ALTER TABLE volume_tally ADD CONSTRAINT volume_tally_pkey PRIMARY KEY (tenant, case_kind, day, dimension, value, slot);
