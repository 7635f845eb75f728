-- Span chunks are compressed with LZ4 instead of PostgreSQL's default, pglz. A chunk (a
-- trace's spans of one batch, as JSON, ~5 KB for 10 spans) is over the 2 KB TOAST threshold,
-- so every chunk is compressed as it is stored, and pglz took more of the database server's
-- time than anything else a span batch does: with LZ4 the chunk insert takes 11 ms instead of
-- 26 for 2,000 spans, at the same disk bytes a span (docs/benchmarks.md, seventh pass).
-- Chunks stored before keep pglz; both read back. A server built without LZ4 (or older than
-- PostgreSQL 14) keeps pglz. SQLite stores chunks uncompressed and has no migration 16.
-- The change rewrites nothing but needs the table to itself for a moment: other nodes keep
-- storing spans during a rolling upgrade, so it waits at most 5 s for that, and otherwise
-- leaves the chunks on pglz and says how to change it by hand (docs/deploying.md).
DO $$
BEGIN
    PERFORM set_config('lock_timeout', '5s', true);
    EXECUTE 'ALTER TABLE span_chunks ALTER COLUMN spans SET COMPRESSION lz4';
EXCEPTION
    WHEN feature_not_supported OR syntax_error THEN
        RAISE NOTICE 'span chunks stay pglz-compressed: %', SQLERRM;
    WHEN lock_not_available THEN
        RAISE WARNING 'span chunks stay pglz-compressed: the table was busy for 5 s; run '
            '"ALTER TABLE span_chunks ALTER COLUMN spans SET COMPRESSION lz4" at a quiet moment';
END $$;
