-- Personal data encrypted at rest (`seal.rs`): the key a person row is sealed with.
-- NULL for rows written before sealing, which are read as they are and sealed in
-- batches by `Store::seal_people` (the server does it as it starts).
ALTER TABLE person ADD COLUMN sealed_with text;

-- The security log's retention (网络安全法 §21: six months at least): a checkpoint
-- whose security events were moved out to an archive file (`yiwang audit archive`),
-- and when. Its heads and access-log entries stay.
ALTER TABLE checkpoint ADD COLUMN security_archived_at timestamptz;
