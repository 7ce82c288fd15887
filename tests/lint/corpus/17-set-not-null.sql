SET lock_timeout = '2s';
ALTER TABLE customers ALTER COLUMN loyalty_tier SET NOT NULL;
