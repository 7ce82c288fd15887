SET lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN received_at timestamptz DEFAULT clock_timestamp();
