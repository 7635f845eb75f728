-- A trace gets an integer key when its first span is stored, and its span chunks name it by
-- that key instead of by (project, 32-character hex id) (docs/benchmarks.md, issue 14). Keys
-- grow as traces arrive, so a span batch appends to the chunks' index instead of touching a
-- random page of it for each trace. Chunks whose trace had no row (never written that way,
-- but kept, not lost) get one, pending, so they are assembled after the upgrade.
INSERT INTO traces (project_id, trace_id, first_received_at, last_received_at, pending_since,
                    has_root, version)
SELECT c.project_id, c.trace_id, MIN(c.received_at), MAX(c.received_at), MIN(c.received_at), 0, 1
FROM span_chunks c
WHERE NOT EXISTS (SELECT 1 FROM traces t
                  WHERE t.project_id = c.project_id AND t.trace_id = c.trace_id)
GROUP BY c.project_id, c.trace_id;

ALTER TABLE traces ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;

-- `traces.id`; the chunks go with their trace (retention deletes both at once).
ALTER TABLE span_chunks ADD COLUMN trace_key BIGINT;
UPDATE span_chunks c SET trace_key = t.id
FROM traces t WHERE t.project_id = c.project_id AND t.trace_id = c.trace_id;
ALTER TABLE span_chunks ALTER COLUMN trace_key SET NOT NULL;
DROP INDEX span_chunks_trace;
ALTER TABLE span_chunks DROP COLUMN trace_id;
CREATE INDEX span_chunks_trace ON span_chunks (trace_key);
