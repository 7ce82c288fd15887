-- lint-options: --disable missing-lock-timeout
ALTER TABLE customers ADD COLUMN nickname text;
CREATE INDEX c_idx ON customers (nickname);
