-- The knowledge base: notes (error notes and general notes), their revisions, tags, links
-- and comments, and a full-text index over title and body.
CREATE TABLE notes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('error', 'general')),
    error_id      BIGINT REFERENCES errors (id) ON DELETE SET NULL,
    occurrence_id BIGINT REFERENCES occurrences (id) ON DELETE SET NULL,
    visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    revision      BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX notes_author ON notes (author_id);
CREATE INDEX notes_error ON notes (error_id);
CREATE INDEX notes_title ON notes (lower(title));

-- The state of a note before each edit.
CREATE TABLE note_revisions (
    note_id    BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    revision   BIGINT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL,
    visibility TEXT NOT NULL,
    saved_at   BIGINT NOT NULL,
    PRIMARY KEY (note_id, revision)
);

CREATE TABLE note_tags (
    note_id BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag     TEXT NOT NULL,
    PRIMARY KEY (note_id, tag)
);
CREATE INDEX note_tags_tag ON note_tags (tag);

-- kind 'manual' (added by hand) or 'wikilink' (from [[label]] in the body; label kept so the
-- link survives the target being renamed).
CREATE TABLE note_links (
    source_id  BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('manual', 'wikilink')),
    label      TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, target_id, kind, label)
);
CREATE INDEX note_links_target ON note_links (target_id);

CREATE TABLE note_comments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note_id    BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX note_comments_note ON note_comments (note_id);

-- Title matches weigh more than body matches ('A' over 'B'). The 'simple' configuration does
-- not stem, so it treats every language alike.
ALTER TABLE notes ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
) STORED;
CREATE INDEX notes_search ON notes USING GIN (search);
