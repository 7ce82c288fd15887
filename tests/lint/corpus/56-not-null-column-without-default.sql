SET lock_timeout = '2s';
ALTER TABLE customers ADD COLUMN region text NOT NULL;
CREATE TABLE regions (id bigint);
ALTER TABLE regions ADD COLUMN code text NOT NULL;
