-- Whether the time left to `next_due` counts working days, as on SQLite (schema
-- version 13); the store fills in the open cases from their events as it opens.
ALTER TABLE case_header ADD COLUMN due_working boolean;
UPDATE case_header SET due_working = false WHERE next_due IS NULL;
