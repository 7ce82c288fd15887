BEGIN;
SET LOCAL lock_timeout = '1s';
ALTER TABLE customers ADD COLUMN nickname text;
COMMIT;
ALTER TABLE customers ADD COLUMN nickname2 text;
