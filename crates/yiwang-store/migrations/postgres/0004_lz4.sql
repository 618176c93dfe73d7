-- yiwang on PostgreSQL, migration 4: the appeal row's large columns compressed with
-- LZ4 rather than PostgreSQL's own pglz. The state (JSON, some 1.6 KB) and search
-- vector of a case make its row larger than PostgreSQL keeps uncompressed, so every
-- write of the row compressed them again: with pglz that was a sixteenth of the
-- server's time in a bulk load; LZ4 compresses several times faster. Rows written
-- before keep their pglz values, which read as before. A server built without LZ4
-- (it is an option of PostgreSQL's build; Debian's has it) keeps pglz.
DO $$
BEGIN
    ALTER TABLE appeal ALTER COLUMN state SET COMPRESSION lz4, ALTER COLUMN search SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: appeal rows stay compressed with pglz';
END
$$;
