-- Alerts: where they go (channels), when they fire (rules), storm control, and the outbox of
-- deliveries, written in the transaction that saved what caused them.

-- Who resolved an error last, and when; kept when it regresses, so the alert can say it.
ALTER TABLE errors ADD COLUMN resolved_at BIGINT;
ALTER TABLE errors ADD COLUMN resolved_by BIGINT REFERENCES users (id) ON DELETE SET NULL;

CREATE TABLE alert_channels (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'discord', 'teams', 'email')),
    -- The webhook URL, or the email recipients separated by commas.
    target       TEXT NOT NULL,
    -- The HMAC-SHA256 key of a generic webhook.
    secret       TEXT,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    -- When a message last went out: alerts arriving within the digest window after it are
    -- folded into one digest.
    last_sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_channels_project ON alert_channels (project_id);

CREATE TABLE alert_rules (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id       BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    fires_on         TEXT NOT NULL
                     CHECK (fires_on IN ('new', 'regression', 'spike', 'service_red', 'occurrence')),
    spike_count      BIGINT,
    spike_minutes    BIGINT,
    service          TEXT,
    environment      TEXT,
    exception_type   TEXT,
    min_count        BIGINT NOT NULL DEFAULT 1,
    interval_minutes BIGINT NOT NULL,
    muted_until      BIGINT,
    created_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX alert_rules_project ON alert_rules (project_id);

CREATE TABLE alert_rule_channels (
    rule_id    BIGINT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
    PRIMARY KEY (rule_id, channel_id)
);
CREATE INDEX alert_rule_channels_channel ON alert_rule_channels (channel_id);

-- When a rule last alerted of an error: at most one alert per rule, error and interval.
CREATE TABLE alert_throttle (
    rule_id         BIGINT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    error_id        BIGINT NOT NULL REFERENCES errors (id) ON DELETE CASCADE,
    last_alerted_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, error_id)
);
CREATE INDEX alert_throttle_error ON alert_throttle (error_id);

-- The outbox and the delivery history: one row per alert and channel. Rows of one message
-- (a digest folds several) share a delivery id, fixed at the first attempt so that retries
-- carry the same id.
CREATE TABLE alert_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rule_id         BIGINT REFERENCES alert_rules (id) ON DELETE SET NULL,
    rule_name       TEXT NOT NULL,
    channel_id      BIGINT REFERENCES alert_channels (id) ON DELETE SET NULL,
    channel_name    TEXT NOT NULL,
    error_id        BIGINT REFERENCES errors (id) ON DELETE CASCADE,
    fires_on        TEXT NOT NULL,
    -- What the trigger saw (JSON): the spike's count, the service that turned red.
    detail          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    -- Which claim holds the row: only its holder records the attempt.
    claim           TEXT,
    delivery_id     TEXT,
    response_code   BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_project ON alert_deliveries (project_id, id);
CREATE INDEX alert_deliveries_error ON alert_deliveries (error_id);
