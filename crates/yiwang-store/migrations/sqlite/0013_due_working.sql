-- Whether the time left to `next_due` counts working days (a resolve limit) or natural
-- hours (dispatch, sign-for, contact): queues and case pages show one figure by one
-- rule. Cases with no deadline get 0 here; the store fills in the others from their
-- events as it opens the upgraded database (`backfill_due_working`).
ALTER TABLE case_header ADD COLUMN due_working INTEGER;
UPDATE case_header SET due_working = 0 WHERE next_due IS NULL;
