-- datatrain metadata store (SQLite). Timestamps are integer milliseconds since the Unix epoch.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    data        BLOB    NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);

CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    source_url    TEXT    NOT NULL,
    table_names   TEXT    NOT NULL DEFAULT '[]',
    status        TEXT    NOT NULL DEFAULT 'pending',
    process_rate  REAL    NOT NULL DEFAULT 0,
    error_msg     TEXT,
    last_train_at INTEGER,
    live_version  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE dataset_docs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX dataset_docs_dataset ON dataset_docs (dataset_id);

CREATE TABLE training_runs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id        INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    -- queued | training | paused | completed | failed | cancelled
    status            TEXT    NOT NULL,
    stage             INTEGER NOT NULL DEFAULT 1,
    -- JSON cursor: the stage and the index of its next item
    checkpoint        TEXT    NOT NULL DEFAULT '{"stage":1,"next":0}',
    -- what the dataset was before the run, restored by cancel
    prev_status       TEXT    NOT NULL,
    prev_process_rate REAL    NOT NULL DEFAULT 0,
    prev_error        TEXT,
    table_names       TEXT    NOT NULL,
    max_items_per_sec REAL   ,
    process_rate      REAL    NOT NULL DEFAULT 0,
    -- fencing token: bumped by every claim; every worker write checks it
    attempt           INTEGER NOT NULL DEFAULT 0,
    queued_at         INTEGER NOT NULL,
    started_at        INTEGER,
    claimed_at        INTEGER,
    claimed_rate      REAL    NOT NULL DEFAULT 0,
    finished_at       INTEGER,
    heartbeat_at      INTEGER,
    item_count        INTEGER,
    error             TEXT
);
-- At most one active run per dataset, enforced by the database.
CREATE UNIQUE INDEX training_runs_one_active ON training_runs (dataset_id)
    WHERE status IN ('queued', 'training', 'paused');
CREATE INDEX training_runs_status ON training_runs (status, id);
CREATE INDEX training_runs_dataset ON training_runs (dataset_id, id);

CREATE TABLE training_logs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    run_id     INTEGER,
    level      TEXT    NOT NULL,
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX training_logs_dataset ON training_logs (dataset_id, id);

-- The trained collection. `version` is the id of the run that wrote the item.
CREATE TABLE items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id   INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    table_name   TEXT,
    question     TEXT,
    content      TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    UNIQUE (version, content_hash)
);
CREATE INDEX items_dataset_version ON items (dataset_id, version);

-- Full-text index over pre-segmented text (jieba), rowid = items.id.
CREATE VIRTUAL TABLE items_fts USING fts5 (terms, tokenize = 'unicode61 remove_diacritics 2');
