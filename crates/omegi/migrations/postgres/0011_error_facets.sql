-- An error whose latest occurrence was passed up from a failed call names that call's
-- service or peer: the service map colours a service only for errors it caused itself.
ALTER TABLE errors ADD COLUMN passed_from TEXT;
-- Each occurrence's deployment environment and release (`service.version`), for the error
-- page's facets and the error list's filters. Older occurrences have neither.
ALTER TABLE occurrences ADD COLUMN environment TEXT;
ALTER TABLE occurrences ADD COLUMN release TEXT;
CREATE INDEX occurrences_environment ON occurrences (error_id, environment);
CREATE INDEX occurrences_release ON occurrences (error_id, release);
