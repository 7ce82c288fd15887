SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
