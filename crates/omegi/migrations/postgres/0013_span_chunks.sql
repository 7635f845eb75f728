-- Spans stored a trace at a time: one row holds the spans of one trace that arrived in one
-- write (up to 1,000), as a JSON array, instead of a row and an index entry a span. Writing
-- and reading a trace's spans then touch one row, not ten (docs/benchmarks.md, issue 14).
-- A span is `[span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code,
-- status_message, attributes, events, resource]`, where `resource` is the digest of a row of
-- `resources`, or (spans written before resources had their table) the attributes
-- themselves. A span sent twice is stored twice and read once (the first stored).
CREATE TABLE span_chunks (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id     BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id       TEXT NOT NULL,
    span_count     BIGINT NOT NULL,
    first_start_ns BIGINT NOT NULL,
    received_at    BIGINT NOT NULL,
    spans          bytea NOT NULL
);
CREATE INDEX span_chunks_trace ON span_chunks (project_id, trace_id);

INSERT INTO span_chunks (project_id, trace_id, span_count, first_start_ns, received_at, spans)
SELECT project_id, trace_id, COUNT(*), MIN(start_ns), MAX(received_at),
       convert_to(CAST(json_agg(json_build_array(
           span_id, parent_span_id, service, name, kind, start_ns, end_ns, status_code,
           status_message, attributes, events,
           CASE WHEN resource_digest IS NULL THEN resource ELSE to_jsonb(resource_digest) END
       ) ORDER BY id) AS text), 'UTF8')
FROM spans GROUP BY project_id, trace_id;

DROP TABLE spans;
