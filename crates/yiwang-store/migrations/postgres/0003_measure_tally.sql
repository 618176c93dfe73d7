-- yiwang on PostgreSQL, migration 3: the month's measures as counts.
--
-- `measure_fact` kept a row per fact (three or so per appeal) and the month's rates
-- counted them on every request: 98 ms at half a million appeals, and growing with
-- the month's volume. As on SQLite (its migration 7), the facts are now kept as
-- counts, moved by every write by the difference between the case's facts before and
-- after, in the same transaction: a few thousand rows a year.
--
-- The two writer connections of a process commit in turns and would wait on each
-- other's row locks if they moved the same count, so each moves only the rows of its
-- own `slot` (its number) and the rates add the slots up. A count in one slot may be
-- negative (a fact counted by one writer and withdrawn by the other); the sum is
-- the month's count. `satisfaction` is '' for facts that are not callbacks (a key
-- column cannot be NULL). The key starts with `tenant` so Citus can distribute the
-- table like the others. Rebuilt by reindex like every projection.
CREATE TABLE measure_tally (
    tenant       text NOT NULL,
    month        text NOT NULL,
    unit         text NOT NULL,
    kind         text NOT NULL CONSTRAINT measure_tally_kind CHECK (kind IN ('dispatch','reply','callback')),
    flag         boolean NOT NULL,   -- responded / on_time / solved
    satisfaction text NOT NULL,
    slot         smallint NOT NULL,
    count        bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT measure_tally_pkey PRIMARY KEY (tenant, month, unit, kind, flag, satisfaction, slot)
);
CREATE INDEX measure_tally_month ON measure_tally (month);
INSERT INTO measure_tally
    SELECT tenant, month, unit, kind, flag, coalesce(satisfaction, ''), 0, count(*), min(created_at)
    FROM measure_fact GROUP BY tenant, month, unit, kind, flag, coalesce(satisfaction, '');
DROP TABLE measure_fact;
