-- What live clients are told (new errors, regressions, status changes), kept so that a
-- reconnecting browser resumes with Last-Event-ID and every node can serve every user.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    error_id   BIGINT NOT NULL REFERENCES errors (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX errors_status ON errors (project_id, status);
CREATE INDEX occurrences_time ON occurrences (project_id, occurred_at);
