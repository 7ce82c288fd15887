SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN nickname text;
