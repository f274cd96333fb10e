-- The instance executing a run (DATATRAIN_INSTANCE), set by every claim.
ALTER TABLE training_runs ADD COLUMN instance TEXT;
