-- Span chunks are compressed with LZ4 instead of PostgreSQL's default, pglz. A chunk (a
-- trace's spans of one batch, as JSON, ~5 KB for 10 spans) is over the 2 KB TOAST threshold,
-- so every chunk is compressed as it is stored, and pglz took more of the database server's
-- time than anything else a span batch does: with LZ4 the chunk insert takes 11 ms instead of
-- 26 for 2,000 spans, at the same disk bytes a span (docs/benchmarks.md, seventh pass).
-- Chunks stored before keep pglz; both read back. A server built without LZ4 (or older than
-- PostgreSQL 14) keeps pglz. SQLite stores chunks uncompressed and has no migration 16.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE span_chunks ALTER COLUMN spans SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'span chunks stay pglz-compressed: %', SQLERRM;
END $$;
