-- yiwang on SQLite, schema version 8: the dashboards' volumes as counts.
--
-- The dashboard counts a period's appeals by day, status, category, area and
-- channel. Counted from the appeal rows, a year's dashboard read every row five
-- times: 2.3 s at a million appeals, and ten times that at ten million. As with the
-- month's measures (version
-- 7), the counts are kept as counts: one row per accepted day, dimension and value,
-- moved by every write by the difference between the case's values before and after
-- (a case moves from one status to the next), in the same transaction. About 90
-- rows a day; a year's dashboard reads some 33,000. `value` is '' for none (an
-- unclassified or unlocated case). Rebuilt by reindex like every projection.
CREATE TABLE volume_tally (
    day        TEXT NOT NULL,   -- accepted, YYYY-MM-DD in China
    dimension  TEXT NOT NULL CONSTRAINT volume_tally_dimension
                   CHECK (dimension IN ('status', 'category', 'area', 'channel')),
    value      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT volume_tally_key PRIMARY KEY (day, dimension, value)
) WITHOUT ROWID;
INSERT INTO volume_tally
    SELECT date(accepted_at, '+8 hours'), 'status', status, count(*), min(accepted_at)
    FROM appeal GROUP BY 1, 3;
INSERT INTO volume_tally
    SELECT date(accepted_at, '+8 hours'), 'category', coalesce(category, ''), count(*), min(accepted_at)
    FROM appeal GROUP BY 1, 3;
INSERT INTO volume_tally
    SELECT date(accepted_at, '+8 hours'), 'area', coalesce(area, ''), count(*), min(accepted_at)
    FROM appeal GROUP BY 1, 3;
INSERT INTO volume_tally
    SELECT date(accepted_at, '+8 hours'), 'channel', channel, count(*), min(accepted_at)
    FROM appeal GROUP BY 1, 3;
