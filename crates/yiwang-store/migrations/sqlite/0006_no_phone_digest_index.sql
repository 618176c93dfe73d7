-- yiwang on SQLite, schema version 6: no index on the phone digest.
--
-- Nothing looks a person up by digest: a citizen following an appeal gives the
-- tracking code, which finds the case, and the digest of the phone they give is
-- compared with the case's person row, read by id. The index only cost a write to a
-- random page of a large B-tree on every intake, at a district's peak one of the
-- largest costs of a commit. A feature that matches callers by phone brings it back.
DROP INDEX person_phone_digest;
