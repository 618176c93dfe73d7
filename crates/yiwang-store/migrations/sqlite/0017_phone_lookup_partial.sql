-- yiwang on SQLite, schema version 17: only the person rows looked up by phone are
-- indexed by their phone's digest.
--
-- 0016's index took every person row, so every 12345 appeal paid for it: its key is a
-- keyed digest, so each intake wrote a random page of a large B-tree (the 1 M bulk
-- load was 18 % slower, 7 KB more written per appeal). Only some rows are looked up
-- by phone: those of the kinds that say so (`Kind::FOUND_BY_PHONE`: an application's
-- applicant, an enterprise's legal representative, an agent's 企业授权), and those
-- whose data someone was logged reading (`access_log`, which a citizen's 谁查看了我的
-- 信息 lists by phone). The store marks them as it writes them (`found_by_phone`).
ALTER TABLE person ADD COLUMN found_by_phone INTEGER NOT NULL DEFAULT 0;
-- The kinds that are found by phone at this release, and the logged persons.
UPDATE person SET found_by_phone = 1
WHERE id IN (SELECT person FROM case_header
             WHERE person IS NOT NULL AND case_kind IN ('application', 'enterprise', 'authorisation'))
   OR id IN (SELECT person_id FROM access_log WHERE person_id IS NOT NULL);
DROP INDEX person_phone_digest;
CREATE INDEX person_phone_digest ON person (phone_digest) WHERE found_by_phone = 1;
