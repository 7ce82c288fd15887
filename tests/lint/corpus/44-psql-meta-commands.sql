\set ON_ERROR_STOP on
SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN nickname text;
\echo done
