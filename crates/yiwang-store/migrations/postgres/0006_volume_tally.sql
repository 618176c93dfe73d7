-- yiwang on PostgreSQL, migration 6: the dashboards' volumes as counts.
--
-- The dashboard counts a period's appeals by day, status, category, area and
-- channel. Counted from the appeal rows, a year at ten million appeals read every
-- row five times. As with the month's measures (migration 3), the counts are kept as
-- counts: one row per accepted day (China time), dimension and value, moved by every
-- write by the difference between the case's values before and after, in the same
-- transaction, each writer connection in its own `slot` (see migration 3); the
-- dashboard adds the slots up. `value` is '' for none. The key starts with `tenant`
-- so Citus can distribute the table like the others. Rebuilt by reindex.
CREATE TABLE volume_tally (
    tenant     text NOT NULL,
    day        date NOT NULL,
    dimension  text NOT NULL CONSTRAINT volume_tally_dimension
                   CHECK (dimension IN ('status', 'category', 'area', 'channel')),
    value      text NOT NULL,
    slot       smallint NOT NULL,
    count      bigint NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT volume_tally_pkey PRIMARY KEY (tenant, day, dimension, value, slot)
);
CREATE INDEX volume_tally_day ON volume_tally (day);
INSERT INTO volume_tally
    SELECT tenant, ((accepted_at AT TIME ZONE 'UTC') + interval '8 hours')::date, d.dimension, d.value, 0,
           count(*), min(accepted_at)
    FROM appeal,
         LATERAL (VALUES ('status', status), ('category', coalesce(category, '')), ('area', coalesce(area, '')),
                         ('channel', channel)) AS d(dimension, value)
    GROUP BY 1, 2, 3, 4;
