-- A trace gets an integer key when its first span is stored, and its span chunks name it by
-- that key instead of by (project, 32-character hex id) (docs/benchmarks.md, issue 14). Keys
-- grow as traces arrive, so a span batch appends to the chunks' index instead of dirtying a
-- random page of it for each trace (one of the two random indexes a batch's commit wrote;
-- the other is the traces' own key). Chunks whose trace had no row (never written that way,
-- but kept, not lost) get one, pending, so they are assembled after the upgrade.
INSERT INTO traces (project_id, trace_id, first_received_at, last_received_at, pending_since,
                    has_root, version)
SELECT c.project_id, c.trace_id, MIN(c.received_at), MAX(c.received_at), MIN(c.received_at), 0, 1
FROM span_chunks c
WHERE NOT EXISTS (SELECT 1 FROM traces t
                  WHERE t.project_id = c.project_id AND t.trace_id = c.trace_id)
GROUP BY c.project_id, c.trace_id;

-- SQLite's rowid is kept by VACUUM only when a column names it, so the table is made again
-- with `id INTEGER PRIMARY KEY`, in the order the traces arrived.
CREATE TABLE traces_keyed (
    id                INTEGER PRIMARY KEY,
    project_id        BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id          TEXT NOT NULL,
    first_received_at BIGINT NOT NULL,
    last_received_at  BIGINT NOT NULL,
    pending_since     BIGINT NOT NULL,
    has_root          BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    assembled_version BIGINT NOT NULL DEFAULT 0,
    claimed_until     BIGINT NOT NULL DEFAULT 0,
    claims            BIGINT NOT NULL DEFAULT 0,
    span_count        BIGINT NOT NULL DEFAULT 0,
    start_ns          BIGINT,
    end_ns            BIGINT,
    root_service      TEXT,
    root_name         TEXT,
    error_count       BIGINT NOT NULL DEFAULT 0,
    truncated         TEXT,
    map_part          TEXT,
    UNIQUE (project_id, trace_id)
);
INSERT INTO traces_keyed (project_id, trace_id, first_received_at, last_received_at,
                          pending_since, has_root, version, assembled_version, claimed_until,
                          claims, span_count, start_ns, end_ns, root_service, root_name,
                          error_count, truncated, map_part)
SELECT project_id, trace_id, first_received_at, last_received_at, pending_since, has_root,
       version, assembled_version, claimed_until, claims, span_count, start_ns, end_ns,
       root_service, root_name, error_count, truncated, map_part
FROM traces ORDER BY first_received_at, rowid;
DROP TABLE traces;
ALTER TABLE traces_keyed RENAME TO traces;
CREATE INDEX traces_pending ON traces (pending_since) WHERE version > assembled_version;
CREATE INDEX traces_start ON traces (project_id, start_ns);
CREATE INDEX traces_received ON traces (last_received_at);

CREATE TABLE span_chunks_keyed (
    id             INTEGER PRIMARY KEY,
    project_id     BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- `traces.id`; the chunks go with their trace (retention deletes both at once).
    trace_key      BIGINT NOT NULL,
    span_count     BIGINT NOT NULL,
    first_start_ns BIGINT NOT NULL,
    received_at    BIGINT NOT NULL,
    spans          BLOB NOT NULL
);
INSERT INTO span_chunks_keyed (id, project_id, trace_key, span_count, first_start_ns,
                               received_at, spans)
SELECT c.id, c.project_id, t.id, c.span_count, c.first_start_ns, c.received_at, c.spans
FROM span_chunks c JOIN traces t ON t.project_id = c.project_id AND t.trace_id = c.trace_id
ORDER BY c.id;
DROP TABLE span_chunks;
ALTER TABLE span_chunks_keyed RENAME TO span_chunks;
CREATE INDEX span_chunks_trace ON span_chunks (trace_key);
