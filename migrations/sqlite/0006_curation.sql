-- Curation of the trained collection.
-- Items a user deleted from the collection, kept out of later trainings by
-- their content hash (kind, table, question and content kept for display).
CREATE TABLE item_exclusions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id   INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    content_hash TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    table_name   TEXT,
    question     TEXT,
    content      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (dataset_id, content_hash)
);

-- Question → SQL examples a user wrote (checked against the source when added);
-- stage 4 indexes them before the generated ones.
CREATE TABLE dataset_examples (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    question   TEXT    NOT NULL,
    sql        TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX dataset_examples_dataset ON dataset_examples (dataset_id);
