-- JSON documents as jsonb: validated when written, and queryable in place.
ALTER TABLE spans
    ALTER COLUMN attributes TYPE jsonb USING attributes::jsonb,
    ALTER COLUMN events TYPE jsonb USING events::jsonb,
    ALTER COLUMN resource TYPE jsonb USING resource::jsonb;
ALTER TABLE occurrences
    ALTER COLUMN summary TYPE jsonb USING summary::jsonb,
    ALTER COLUMN log TYPE jsonb USING log::jsonb;
ALTER TABLE trace_edges ALTER COLUMN durations_us TYPE jsonb USING durations_us::jsonb;
ALTER TABLE note_revisions ALTER COLUMN tags TYPE jsonb USING tags::jsonb;
