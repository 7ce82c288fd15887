SET lock_timeout = '2s';
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(14,2);
