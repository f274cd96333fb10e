-- Rate limits shared by every instance: one row per counted event (a failed
-- login per username and client, per client, a source connection per user),
-- pruned when older than the longest window.
CREATE TABLE throttle_events (
    id     BIGSERIAL PRIMARY KEY,
    bucket TEXT    NOT NULL,
    at     BIGINT  NOT NULL
);
CREATE INDEX throttle_events_bucket ON throttle_events (bucket, at);
CREATE INDEX throttle_events_at ON throttle_events (at);

-- The source URL, password included, encrypted with the instance key
-- (`source_url` then holds the URL with its password masked).
ALTER TABLE datasets ADD COLUMN source_secret TEXT;

-- Store-wide settings, such as the fingerprint of the key the secrets are encrypted with.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
