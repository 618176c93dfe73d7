-- yiwang on SQLite, schema version 1.
--
-- Two kinds of table live here:
--   * the record: `event`, `chain_head`, `person` and the reference data (`unit`,
--     `category`, `staff`, `boundary`). Events are appended and never updated.
--   * projections: `appeal`, `appeal_co_unit`, `measure_fact`. They are derived from
--     the events and `yiwang reindex` rebuilds them, so they may be dropped at will.
-- Every table has `created_at` (RFC 3339, UTC). Every case-bearing table carries
-- `tenant`, the jurisdiction, so that a distributed PostgreSQL can shard by it.

CREATE TABLE unit (
    code       TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    name       TEXT NOT NULL,
    short      TEXT,
    kind       TEXT NOT NULL CONSTRAINT unit_kind_known
               CHECK (kind IN ('district','centre','department','street','community','grid')),
    parent     TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE category (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent     TEXT,
    unit       TEXT NOT NULL,
    utility    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Area boundaries as GeoJSON geometry text (WGS84), one per area unit.
CREATE TABLE boundary (
    unit       TEXT PRIMARY KEY,
    geometry   TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE staff (
    username      TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    unit          TEXT NOT NULL,
    roles         TEXT NOT NULL,            -- comma-separated role codes
    password_hash TEXT NOT NULL,            -- argon2id PHC string
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

-- Login sessions. Only a SHA-256 of the token is kept, so a copy of the database
-- does not let anyone log in.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Personal data, beside the record (个人信息保护法): events refer to a person by id.
-- Erasing sets the fields to NULL and stamps erased_at; no event changes.
-- phone_digest is a keyed HMAC so a citizen can be matched by phone without
-- scanning plaintext, and survives erasure only as long as the key does.
CREATE TABLE person (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    name         TEXT,
    phone        TEXT,
    phone_digest TEXT,
    id_number    TEXT,
    contact      TEXT,
    created_at   TEXT NOT NULL,
    erased_at    TEXT
);
CREATE INDEX person_phone_digest ON person (phone_digest);

-- The event log. (case_id, seq) is the chain position; the rowid gives the global
-- order of commits. `body` and `actor` are stored exactly as they were hashed.
CREATE TABLE event (
    tenant     TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    body       TEXT NOT NULL,
    alg        TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT event_position UNIQUE (case_id, seq)
);

-- The head of each case's chain, written in the same transaction as its events. It
-- is part of the record, not a projection: it is what shows a truncated chain.
CREATE TABLE chain_head (
    case_id    TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Case numbers are allocated per civil day.
CREATE TABLE case_counter (
    day        TEXT PRIMARY KEY,
    last_seq   INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

-- Projection: the current state of each appeal, with the columns queues filter on.
CREATE TABLE appeal (
    case_id       TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    status        TEXT NOT NULL,
    appeal_type   TEXT NOT NULL,
    urgency       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    title         TEXT,
    unit          TEXT,
    category      TEXT,
    area          TEXT,
    stage         TEXT NOT NULL,
    next_due      TEXT,
    next_alarm    TEXT,
    returned      INTEGER NOT NULL,
    supervised    INTEGER NOT NULL,
    citizen       INTEGER,
    tracking_code TEXT NOT NULL,
    accepted_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    closed_at     TEXT,
    version       INTEGER NOT NULL,
    state         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    CONSTRAINT appeal_tracking_code UNIQUE (tracking_code)
);
CREATE INDEX appeal_unit_status ON appeal (unit, status, accepted_at);
CREATE INDEX appeal_status ON appeal (status, accepted_at);
CREATE INDEX appeal_alarm ON appeal (next_alarm) WHERE next_alarm IS NOT NULL;
CREATE INDEX appeal_accepted ON appeal (accepted_at);

CREATE TABLE appeal_co_unit (
    case_id    TEXT NOT NULL,
    unit       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (case_id, unit)
);
CREATE INDEX appeal_co_unit_unit ON appeal_co_unit (unit);

-- Projection: countable facts per case for the monthly measures (see
-- yiwang_core::measure for the definitions).
CREATE TABLE measure_fact (
    case_id      TEXT NOT NULL,
    unit         TEXT NOT NULL,
    month        TEXT NOT NULL,
    kind         TEXT NOT NULL CONSTRAINT measure_fact_kind CHECK (kind IN ('dispatch','reply','callback')),
    flag         INTEGER NOT NULL,   -- responded / on_time / solved
    satisfaction TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX measure_fact_month ON measure_fact (month, unit);
CREATE INDEX measure_fact_case ON measure_fact (case_id);

-- Who looked at which personal data, when (revealing a masked phone number).
CREATE TABLE access_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    case_id    TEXT,
    person_id  INTEGER,
    what       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
