-- datatrain metadata store (PostgreSQL). Timestamps are integer milliseconds since the Unix epoch.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT     NOT NULL UNIQUE,
    password_hash TEXT     NOT NULL,
    is_admin      BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT   NOT NULL
);

CREATE TABLE sessions (
    id          TEXT   PRIMARY KEY,
    data        BYTEA  NOT NULL,
    expiry_date BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);

CREATE TABLE datasets (
    id            BIGSERIAL PRIMARY KEY,
    owner_id      BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT             NOT NULL,
    description   TEXT             NOT NULL DEFAULT '',
    source_url    TEXT             NOT NULL,
    table_names   TEXT             NOT NULL DEFAULT '[]',
    status        TEXT             NOT NULL DEFAULT 'pending',
    process_rate  DOUBLE PRECISION NOT NULL DEFAULT 0,
    error_msg     TEXT,
    last_train_at BIGINT,
    live_version  BIGINT,
    created_at    BIGINT           NOT NULL,
    updated_at    BIGINT           NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE dataset_docs (
    id         BIGSERIAL PRIMARY KEY,
    dataset_id BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    title      TEXT   NOT NULL,
    content    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dataset_docs_dataset ON dataset_docs (dataset_id);

CREATE TABLE training_runs (
    id                BIGSERIAL PRIMARY KEY,
    dataset_id        BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- queued | training | paused | completed | failed | cancelled
    status            TEXT    NOT NULL,
    stage             BIGINT NOT NULL DEFAULT 1,
    -- JSON cursor: the stage and the index of its next item
    checkpoint        TEXT    NOT NULL DEFAULT '{"stage":1,"next":0}',
    -- what the dataset was before the run, restored by cancel
    prev_status       TEXT    NOT NULL,
    prev_process_rate DOUBLE PRECISION NOT NULL DEFAULT 0,
    prev_error        TEXT,
    table_names       TEXT    NOT NULL,
    max_items_per_sec DOUBLE PRECISION,
    process_rate      DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- fencing token: bumped by every claim; every worker write checks it
    attempt           BIGINT NOT NULL DEFAULT 0,
    queued_at         BIGINT NOT NULL,
    started_at        BIGINT,
    claimed_at        BIGINT,
    claimed_rate      DOUBLE PRECISION NOT NULL DEFAULT 0,
    finished_at       BIGINT,
    heartbeat_at      BIGINT,
    item_count        BIGINT,
    error             TEXT
);
CREATE UNIQUE INDEX training_runs_one_active ON training_runs (dataset_id)
    WHERE status IN ('queued', 'training', 'paused');
CREATE INDEX training_runs_status ON training_runs (status, id);
CREATE INDEX training_runs_dataset ON training_runs (dataset_id, id);

CREATE TABLE training_logs (
    id         BIGSERIAL PRIMARY KEY,
    dataset_id BIGINT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    run_id     BIGINT,
    level      TEXT   NOT NULL,
    content    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_logs_dataset ON training_logs (dataset_id, id);

CREATE TABLE items (
    id           BIGSERIAL PRIMARY KEY,
    dataset_id   BIGINT   NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version      BIGINT   NOT NULL,
    kind         TEXT     NOT NULL,
    table_name   TEXT,
    question     TEXT,
    content      TEXT     NOT NULL,
    content_hash TEXT     NOT NULL,
    terms        TSVECTOR NOT NULL,
    UNIQUE (version, content_hash)
);
CREATE INDEX items_dataset_version ON items (dataset_id, version);
CREATE INDEX items_terms ON items USING GIN (terms);
