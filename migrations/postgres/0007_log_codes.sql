-- Log lines as data: what happened (a code) and its parameters (JSON), so that
-- pages show them in the reader's language. NULL for lines stored as text only.
ALTER TABLE training_logs ADD COLUMN code TEXT, ADD COLUMN params TEXT;
-- Per stage of a run: items planned and done, and the time spent on them
-- (JSON, written with every checkpoint), for the estimate of the time left.
ALTER TABLE training_runs ADD COLUMN stage_times TEXT;
