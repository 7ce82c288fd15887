BEGIN;
SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN nickname text;
ALTER TABLE customers ADD COLUMN motto text;
COMMIT;
