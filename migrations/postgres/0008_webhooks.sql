-- Webhooks: a dataset may name a URL that hears of every terminal change of its
-- runs. The signing secret is kept encrypted (like source passwords).
ALTER TABLE datasets ADD COLUMN webhook_url TEXT;
ALTER TABLE datasets ADD COLUMN webhook_secret TEXT;

-- The outbox: one row per terminal change, written in the change's transaction,
-- delivered (and retried) by any instance.
CREATE TABLE webhook_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    dataset_id  BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    run_id      BIGINT NOT NULL,
    body        TEXT    NOT NULL,
    -- pending | delivered | failed
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    last_code   BIGINT,
    last_error  TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_run ON webhook_deliveries (run_id);
