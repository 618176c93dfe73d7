-- yiwang on PostgreSQL, schema version 1: the same record and projections as the
-- SQLite schema (migrations/sqlite/0001..0004), in PostgreSQL's own types.
--
-- Tenant partitioning. Every case-bearing table (event, chain_head, person, appeal,
-- appeal_co_unit, appeal_access, measure_fact, dispatch_example) carries `tenant`,
-- the district, and every primary key and unique constraint on them starts with it.
-- That is what Citus requires to distribute a table by `tenant` (the distribution
-- column must be part of every unique constraint), and it keeps one district's rows
-- together on one node. The Store API looks cases up by case_id alone, so those
-- tables also have plain (non-unique) indexes on case_id. The remaining tables are
-- small reference data (unit, category, staff, session, boundary, reference_document,
-- knowledge_article, api_key, case_counter) and can be Citus reference tables.
-- ARCHITECTURE.md ("Distributing the PostgreSQL store with Citus") gives the calls.
--
-- Types. Instants are timestamptz, stored to the millisecond as the store truncates
-- them, so every instant reads back exactly as written. An event's hash covers its
-- `at` as RFC 3339 text with milliseconds; that text is a function of the stored
-- instant, so verify recomputes it. `actor` and `body` are the JSON text exactly as
-- hashed: text, never jsonb, which would reorder keys and change the bytes.
-- Migrations run in one transaction under an advisory lock, so every statement here
-- must be transactional (no CREATE INDEX CONCURRENTLY).

CREATE TABLE unit (
    code       text PRIMARY KEY,
    tenant     text NOT NULL,
    name       text NOT NULL,
    short      text,
    kind       text NOT NULL CONSTRAINT unit_kind_known
               CHECK (kind IN ('district','centre','department','street','community','grid')),
    parent     text,
    -- The position in the imported list: `units()` answers in import order.
    ord        integer NOT NULL,
    created_at timestamptz NOT NULL
);

-- `attributes` holds the JSON of `yiwang_core::taxonomy::Question`s (Open311 service
-- definition attributes); it is read back whole, so it stays text.
CREATE TABLE category (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    parent     text,
    unit       text NOT NULL,
    utility    boolean NOT NULL DEFAULT false,
    attributes text NOT NULL DEFAULT '[]',
    ord        integer NOT NULL,
    created_at timestamptz NOT NULL
);

-- Area boundaries as GeoJSON geometry text (WGS84), one per area unit.
CREATE TABLE boundary (
    unit       text PRIMARY KEY,
    geometry   text NOT NULL,
    ord        integer NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE staff (
    username      text PRIMARY KEY,
    name          text NOT NULL,
    unit          text NOT NULL,
    roles         text NOT NULL,            -- comma-separated role codes
    password_hash text NOT NULL,            -- argon2id PHC string
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL
);

-- Login sessions. Only a SHA-256 of the token is kept, so a copy of the database
-- does not let anyone log in.
CREATE TABLE session (
    token_hash text PRIMARY KEY,
    username   text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX session_expires ON session (expires_at);

-- Personal data, beside the record (个人信息保护法): events refer to a person by id.
-- Erasing sets the fields to NULL and stamps erased_at; no event changes.
-- phone_digest is a keyed HMAC so a citizen's phone can be checked without
-- comparing plaintext. Nothing looks a person up by it (the case gives the person
-- id), so it has no index: that would be a write to a random page on every intake.
-- The id comes from one sequence, so it is unique on its own; the key starts with
-- tenant only for Citus.
CREATE TABLE person (
    tenant       text NOT NULL,
    id           bigserial NOT NULL,
    name         text,
    phone        text,
    phone_digest text,
    id_number    text,
    contact      text,
    created_at   timestamptz NOT NULL,
    erased_at    timestamptz,
    CONSTRAINT person_pkey PRIMARY KEY (tenant, id)
);
CREATE INDEX person_id ON person (id);

-- The event log. (tenant, case_id, seq) is the chain position. `pos` is the global
-- order of commits (SQLite's rowid): one writer inserts, so insertion order is commit
-- order on one server. Events are appended, never updated.
CREATE TABLE event (
    pos        bigserial NOT NULL,
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    seq        integer NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    actor      text NOT NULL,
    body       text NOT NULL,
    alg        text NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT event_position PRIMARY KEY (tenant, case_id, seq)
);
CREATE INDEX event_case ON event (case_id, seq);
-- Open311 servicerequestupdates lists the events of a time window in commit order.
CREATE INDEX event_at ON event (at, pos);

-- The head of each case's chain, written in the same transaction as its events. It
-- is part of the record, not a projection: it is what shows a truncated chain.
CREATE TABLE chain_head (
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    seq        integer NOT NULL,
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT chain_head_pkey PRIMARY KEY (tenant, case_id)
);

-- Case numbers are allocated per civil day (China), across tenants as on SQLite.
CREATE TABLE case_counter (
    day        date PRIMARY KEY,
    last_seq   integer NOT NULL,
    created_at timestamptz NOT NULL
);

-- Projection: the current state of each appeal, with the columns queues filter on.
-- `state` is jsonb so case texts can be read out of it; it is parsed back whole, so
-- key order does not matter. `search` is the full-text index: the case's title, text,
-- address and reply as character bigrams (`yiwang_store::search::index_tokens`) in a
-- `simple` tsvector, so Chinese needs no word segmentation and a query's bigrams in
-- sequence (`<->`) match exactly the substring typed.
CREATE TABLE appeal (
    tenant        text NOT NULL,
    case_id       text NOT NULL,
    status        text NOT NULL,
    appeal_type   text NOT NULL,
    urgency       text NOT NULL,
    channel       text NOT NULL,
    title         text,
    unit          text,
    category      text,
    area          text,
    stage         text NOT NULL,
    next_due      timestamptz,
    next_alarm    timestamptz,
    returned      boolean NOT NULL,
    supervised    boolean NOT NULL,
    citizen       bigint,
    tracking_code text NOT NULL,
    accepted_at   timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    closed_at     timestamptz,
    version       integer NOT NULL,
    state         jsonb NOT NULL,
    search        tsvector NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT appeal_pkey PRIMARY KEY (tenant, case_id),
    CONSTRAINT appeal_tracking_code UNIQUE (tenant, tracking_code)
);
CREATE INDEX appeal_case ON appeal (case_id);
CREATE INDEX appeal_tracking ON appeal (tracking_code);
CREATE INDEX appeal_unit_status ON appeal (unit, status, accepted_at);
CREATE INDEX appeal_status ON appeal (status, accepted_at);
CREATE INDEX appeal_alarm ON appeal (next_alarm) WHERE next_alarm IS NOT NULL;
CREATE INDEX appeal_accepted ON appeal (accepted_at);
CREATE INDEX appeal_search ON appeal USING gin (search);

CREATE TABLE appeal_co_unit (
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    unit       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT appeal_co_unit_pkey PRIMARY KEY (tenant, case_id, unit)
);
CREATE INDEX appeal_co_unit_unit ON appeal_co_unit (unit);

-- Projection: every unit that ever held a case or was summoned to it, which is who
-- may see it besides the centre and leaders (yiwang_core::appeal::can_view).
CREATE TABLE appeal_access (
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    unit       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT appeal_access_pkey PRIMARY KEY (tenant, case_id, unit)
);
CREATE INDEX appeal_access_unit ON appeal_access (unit);

-- Projection: countable facts per case for the monthly measures (see
-- yiwang_core::measure for the definitions).
CREATE TABLE measure_fact (
    tenant       text NOT NULL,
    case_id      text NOT NULL,
    unit         text NOT NULL,
    month        text NOT NULL,
    kind         text NOT NULL CONSTRAINT measure_fact_kind CHECK (kind IN ('dispatch','reply','callback')),
    flag         boolean NOT NULL,   -- responded / on_time / solved
    satisfaction text,
    created_at   timestamptz NOT NULL
);
CREATE INDEX measure_fact_month ON measure_fact (month, unit);
CREATE INDEX measure_fact_case ON measure_fact (tenant, case_id);

-- Projection: a case whose category was corrected and that a unit then answered is a
-- labelled example for `yiwang train dispatch --corrections`.
CREATE TABLE dispatch_example (
    tenant     text NOT NULL,
    case_id    text NOT NULL,
    text       text NOT NULL,
    category   text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT dispatch_example_pkey PRIMARY KEY (tenant, case_id)
);

-- Who looked at which personal data, when (revealing a masked phone number). An
-- access entry names no tenant, so under Citus it stays a local table.
CREATE TABLE access_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    case_id    text,
    person_id  bigint,
    what       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- API keys of Open311 client apps (GeoReport v2, POST Service Request: "Requires API
-- Key: Yes"). Only a SHA-256 of each key is kept; a revoked key stays, stamped.
CREATE TABLE api_key (
    id         bigserial PRIMARY KEY,
    key_hash   text NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT api_key_hash UNIQUE (key_hash)
);

-- Whole reference documents (JSON), replaced as a unit by `yiwang import`:
-- `places` (the gazetteer) and `routing` (category × area → unit rules).
CREATE TABLE reference_document (
    name       text PRIMARY KEY,
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- 知识库: answers operators give directly, offered between valid_from and valid_to
-- (China dates, inclusive). Articles are never deleted, only ended.
CREATE TABLE knowledge_article (
    id         bigserial PRIMARY KEY,
    unit       text NOT NULL,
    question   text NOT NULL,
    answer     text NOT NULL,
    keywords   text NOT NULL DEFAULT '',
    valid_from date NOT NULL,
    valid_to   date,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX knowledge_article_unit ON knowledge_article (unit);
