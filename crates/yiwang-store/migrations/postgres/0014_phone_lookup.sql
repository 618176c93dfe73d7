-- A citizen's cases found by their phone, as on SQLite (schema version 16): the
-- applicant portal lists the cases of every person row whose keyed digest is the
-- logged-in phone's (`CaseQuery::phone_digest`).
CREATE INDEX person_phone_digest ON person (phone_digest) WHERE phone_digest IS NOT NULL;
CREATE INDEX case_person ON case_header (person) WHERE person IS NOT NULL;
