-- Personal data encrypted at rest (`seal.rs`): the key a person row is sealed with.
-- NULL for rows written before sealing, which are read as they are and sealed in
-- batches by `Store::seal_people` (the server does it as it starts).
ALTER TABLE person ADD COLUMN sealed_with text;
