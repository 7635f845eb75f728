-- Pages of `traces` are filled to 70%, so that the update claiming a trace (which changes no
-- indexed column) can put the row's new version on the same page: a HOT update, which writes
-- no index entries. On full pages every claim wrote a new entry into each of the table's five
-- indexes. In a 40 s run as fast as acknowledged a claim of 500 traces took 16 ms instead of
-- 33 (docs/benchmarks.md, ninth pass). Marking traces assembled cannot be HOT (it changes
-- `start_ns` and the pending index's condition), but it too got faster with the pages that
-- claims no longer split.
-- Only pages written from now on keep the room; nothing is rewritten, and the change waits for
-- no writer. It does wait for a VACUUM of the table: at most 5 s, then the node starts with
-- the pages full and logs how to make the change by hand. SQLite has no migration 17.
DO $$
BEGIN
    PERFORM set_config('lock_timeout', '5s', true);
    EXECUTE 'ALTER TABLE traces SET (fillfactor = 70)';
EXCEPTION
    WHEN lock_not_available THEN
        RAISE WARNING 'traces keeps full pages: the table was busy for 5 s; run '
            '"ALTER TABLE traces SET (fillfactor = 70)" at a quiet moment';
END $$;
