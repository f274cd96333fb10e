-- Webhooks: a dataset may name a URL that hears of every terminal change of its
-- runs. The signing secret is kept encrypted (like source passwords).
ALTER TABLE datasets ADD COLUMN webhook_url TEXT;
ALTER TABLE datasets ADD COLUMN webhook_secret TEXT;

-- The outbox: one row per terminal change, written in the change's transaction,
-- delivered (and retried) by any instance.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id  INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    run_id      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    -- pending | delivered | failed
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_code   INTEGER,
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_run ON webhook_deliveries (run_id);
