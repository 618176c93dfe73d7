-- yiwang on PostgreSQL, migration 5: lists of cases are ordered by accepted time and
-- then case number (newest first), and the index on accepted time now holds both.
-- With the time alone, a page of the newest cases matching a filter the planner
-- cannot estimate (a common phrase, `TextMatch::Function` in pg/read.rs) was planned
-- as a parallel scan of the whole table with an incremental sort: 171 ms for 20 rows
-- at 500,000 cases, where reading the index backwards and stopping at the 20th match
-- takes 8. Every query that used the old index for a range of times uses this one.
CREATE INDEX appeal_accepted_case ON appeal (accepted_at, case_id COLLATE "C");
DROP INDEX appeal_accepted;
