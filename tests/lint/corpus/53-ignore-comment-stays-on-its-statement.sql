SET lock_timeout = '2s';
DROP TABLE archived_2019; -- pgshift-lint: ignore drop-table
DROP TABLE archived_2020;
