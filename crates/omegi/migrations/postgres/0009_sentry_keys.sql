-- Sentry DSN keys: the public key of a DSN names one service, like an ingest token. It is
-- public by design (browser SDKs ship it), so it is stored as it is and shown in Settings.
CREATE TABLE sentry_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id   BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    public_key   TEXT NOT NULL UNIQUE,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX sentry_keys_service ON sentry_keys (service_id);
