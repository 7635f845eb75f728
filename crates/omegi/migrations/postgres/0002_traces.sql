-- Spans as received, traces waiting for assembly, and what assembly derives: error groups,
-- their occurrences, and per-trace service edges and counts for the service map.
CREATE TABLE spans (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id     BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id       TEXT NOT NULL,
    span_id        TEXT NOT NULL,
    parent_span_id TEXT,
    service        TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    start_ns       BIGINT NOT NULL,
    end_ns         BIGINT NOT NULL,
    status_code    BIGINT NOT NULL,
    status_message TEXT NOT NULL,
    attributes     TEXT NOT NULL,
    events         TEXT NOT NULL,
    resource       TEXT NOT NULL,
    received_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX spans_key ON spans (project_id, trace_id, span_id);

-- A trace is pending while version > assembled_version. Every write of spans bumps version;
-- the assembler records the version it assembled.
CREATE TABLE traces (
    project_id        BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id          TEXT NOT NULL,
    first_received_at BIGINT NOT NULL,
    last_received_at  BIGINT NOT NULL,
    pending_since     BIGINT NOT NULL,
    has_root          BIGINT NOT NULL,
    version           BIGINT NOT NULL,
    assembled_version BIGINT NOT NULL DEFAULT 0,
    claimed_until     BIGINT NOT NULL DEFAULT 0,
    -- How many times an assembler claimed the trace: once per settled version when nodes
    -- share the work correctly.
    claims            BIGINT NOT NULL DEFAULT 0,
    span_count        BIGINT NOT NULL DEFAULT 0,
    start_ns          BIGINT,
    end_ns            BIGINT,
    root_service      TEXT,
    root_name         TEXT,
    error_count       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX traces_pending ON traces (pending_since) WHERE version > assembled_version;
CREATE INDEX traces_start ON traces (project_id, start_ns);

CREATE TABLE errors (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id        BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    fingerprint       TEXT NOT NULL,
    service           TEXT NOT NULL,
    exception_type    TEXT NOT NULL,
    message           TEXT NOT NULL,
    operation         TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'unresolved'
                      CHECK (status IN ('unresolved', 'resolved', 'ignored')),
    regressed         BIGINT NOT NULL DEFAULT 0,
    regressed_at      BIGINT,
    first_seen        BIGINT NOT NULL,
    last_seen         BIGINT NOT NULL,
    occurrence_count  BIGINT NOT NULL DEFAULT 0,
    status_changed_at BIGINT,
    status_changed_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX errors_fingerprint ON errors (project_id, fingerprint);
CREATE INDEX errors_last_seen ON errors (project_id, last_seen);

CREATE TABLE occurrences (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    error_id    BIGINT NOT NULL REFERENCES errors (id) ON DELETE CASCADE,
    project_id  BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id    TEXT NOT NULL,
    span_id     TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    summary     TEXT NOT NULL,
    log         TEXT NOT NULL,
    path        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX occurrences_key ON occurrences (project_id, trace_id, span_id);
CREATE INDEX occurrences_error ON occurrences (error_id, occurred_at);

CREATE TABLE trace_edges (
    project_id   BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id     TEXT NOT NULL,
    bucket       BIGINT NOT NULL,
    caller       TEXT NOT NULL,
    callee       TEXT NOT NULL,
    calls        BIGINT NOT NULL,
    errors       BIGINT NOT NULL,
    durations_us TEXT NOT NULL,
    PRIMARY KEY (project_id, trace_id, caller, callee)
);
CREATE INDEX trace_edges_time ON trace_edges (project_id, bucket);

CREATE TABLE trace_services (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id   TEXT NOT NULL,
    bucket     BIGINT NOT NULL,
    service    TEXT NOT NULL,
    spans      BIGINT NOT NULL,
    requests   BIGINT NOT NULL,
    errors     BIGINT NOT NULL,
    PRIMARY KEY (project_id, trace_id, service)
);
CREATE INDEX trace_services_time ON trace_services (project_id, bucket);
