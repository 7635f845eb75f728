-- Pages of `traces` are filled to 70%, so that the update claiming a trace (which changes no
-- indexed column) can put the row's new version on the same page: a HOT update, which writes
-- no index entries. On full pages every claim wrote a new entry into each of the table's five
-- indexes. In 40 s runs as fast as acknowledged, a claim of 500 traces took 16 ms instead of
-- 33, and marking 500 traces assembled 24 ms instead of 41 (docs/benchmarks.md, ninth pass).
-- Only pages written from now on keep the room; nothing is rewritten, and the change waits for
-- no writer. SQLite has no such setting and no migration 17.
ALTER TABLE traces SET (fillfactor = 70);
