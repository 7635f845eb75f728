-- The knowledge base, second step.

-- How an error was last resolved: the release the fix shipped in and the note telling the
-- cause and the fix, kept when the error regresses so its page and alerts can say it.
ALTER TABLE errors ADD COLUMN resolved_in TEXT;
ALTER TABLE errors ADD COLUMN resolution_note_id BIGINT REFERENCES notes (id) ON DELETE SET NULL;

-- Tags written as #tag in a note's body (inline = 1) are kept apart from the tags given
-- with the note, so that removing the #tag from the text removes the tag.
ALTER TABLE note_tags ADD COLUMN inline BIGINT NOT NULL DEFAULT 0;

-- What "solved before?" compares, for errors that have notes: the fingerprint, exception
-- type, masked message, the application's own frames (function and file), the failing
-- operation and the failing call (caller -> callee).
CREATE TABLE error_features (
    error_id BIGINT NOT NULL REFERENCES errors (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (error_id, kind, value)
);
CREATE INDEX error_features_value ON error_features (kind, value, error_id);

-- What a user has not read yet: comments on their notes and @mentions of them.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('comment', 'mention')),
    note_id    BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    comment_id BIGINT NOT NULL REFERENCES note_comments (id) ON DELETE CASCADE,
    actor_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    UNIQUE (user_id, comment_id)
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
