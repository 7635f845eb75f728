-- Resource attributes (service, host, process, SDK) stored once per distinct resource
-- instead of on every span: they were half of a span row's bytes. A span written since
-- names its resource by digest and keeps an empty `resource`; older rows keep theirs.
CREATE TABLE resources (
    project_id   BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    digest       TEXT NOT NULL,
    attributes   jsonb NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, digest)
);
ALTER TABLE spans ADD COLUMN resource_digest TEXT;
