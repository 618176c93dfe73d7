-- Only the person rows looked up by phone are indexed by their phone's digest, as on
-- SQLite (schema version 17, which says why): the rows of the kinds found by phone
-- (`Kind::FOUND_BY_PHONE`) and those whose data someone was logged reading.
ALTER TABLE person ADD COLUMN found_by_phone boolean NOT NULL DEFAULT false;
UPDATE person SET found_by_phone = true
WHERE id IN (SELECT person FROM case_header
             WHERE person IS NOT NULL AND case_kind IN ('application', 'enterprise', 'authorisation'))
   OR id IN (SELECT person_id FROM access_log WHERE person_id IS NOT NULL);
DROP INDEX person_phone_digest;
CREATE INDEX person_phone_digest ON person (phone_digest) WHERE found_by_phone;
