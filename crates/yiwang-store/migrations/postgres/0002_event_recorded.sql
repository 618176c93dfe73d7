-- yiwang on PostgreSQL, migration 2: the events of a time window are found by when
-- they were recorded (`created_at`: an event's own time when recorded live, the time
-- of the import for imported history), which only grows, so its index is written at
-- its end. On `at` (the event's own time), a bulk load of a year's cases inserted
-- each event at a different place in the index, as a case's events span weeks.
CREATE INDEX event_recorded ON event (created_at, pos);
DROP INDEX event_at;
