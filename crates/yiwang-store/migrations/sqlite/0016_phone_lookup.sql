-- yiwang on SQLite, schema version 16: a citizen's cases found by their phone.
--
-- The applicant portal (一网通办's 我的办件) logs an applicant in with their phone and a
-- one-time code, and lists the cases of every person row whose keyed digest is that
-- phone's (`CaseQuery::phone_digest`). 0006 dropped the digest's index while nothing
-- looked a person up by phone; this brings it back, with one over the cases' person.
-- Its cost on intake is measured in README's figures (`bench intake`).
CREATE INDEX person_phone_digest ON person (phone_digest) WHERE phone_digest IS NOT NULL;
CREATE INDEX case_person ON case_header (person) WHERE person IS NOT NULL;
