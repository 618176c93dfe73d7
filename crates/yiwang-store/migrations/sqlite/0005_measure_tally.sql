-- yiwang on SQLite, schema version 5: the month's measures at a district's size.
--
-- `tally_month` counts a month's facts per unit, kind, flag and satisfaction. With
-- the index on (month, unit) alone it read every fact row of the month from the table
-- and sorted them for the GROUP BY: at ten million appeals a year, some 2.5 million
-- rows a month. This index holds every column the query reads, in the order it
-- groups by, so the tally is one ordered scan of the index, without the table and
-- without a sort. It starts with (month, unit), so it replaces that index.
CREATE INDEX measure_fact_tally ON measure_fact (month, unit, kind, flag, satisfaction);
DROP INDEX measure_fact_month;
