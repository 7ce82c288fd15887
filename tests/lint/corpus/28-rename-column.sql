SET lock_timeout = '2s';
ALTER TABLE customers RENAME COLUMN name TO full_name;
