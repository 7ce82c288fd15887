-- pgshift-lint: ignore all
ALTER TABLE customers ALTER COLUMN email SET NOT NULL;
ALTER TABLE customers ADD COLUMN nickname text;
