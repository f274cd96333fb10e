-- Optional dense retrieval: an item's embedding (little-endian f32s, unit length)
-- and the embeddings model a run used (NULL: no embeddings).
ALTER TABLE items ADD COLUMN vector BLOB;
ALTER TABLE training_runs ADD COLUMN embedding_model TEXT;
