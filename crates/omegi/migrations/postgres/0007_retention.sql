-- Retention deletes the oldest rows first; these find them without a scan.
CREATE INDEX occurrences_created ON occurrences (created_at);
CREATE INDEX traces_received ON traces (last_received_at);
