SET lock_timeout = '2s';
RESET lock_timeout;
ALTER TABLE customers ALTER COLUMN status DROP DEFAULT;
