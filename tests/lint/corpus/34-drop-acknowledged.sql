SET lock_timeout = '2s';
-- pgshift-lint: ignore drop-column
ALTER TABLE customers DROP COLUMN fax;
DROP TABLE legacy_orders; -- pgshift-lint: ignore drop-table
