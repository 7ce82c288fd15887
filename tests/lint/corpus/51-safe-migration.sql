-- The whole safe sequence for a NOT NULL column with a default, by hand.
SET lock_timeout = '200ms';
SET statement_timeout = '10s';
ALTER TABLE customers ADD COLUMN tier text;
ALTER TABLE customers ALTER COLUMN tier SET DEFAULT 'bronze';
UPDATE customers SET tier = 'bronze' WHERE id < 10000 AND tier IS NULL;
ALTER TABLE customers ADD CONSTRAINT customers_tier_nn CHECK (tier IS NOT NULL) NOT VALID;
SET lock_timeout = 0;
ALTER TABLE customers VALIDATE CONSTRAINT customers_tier_nn;
SET lock_timeout = '200ms';
ALTER TABLE customers ALTER COLUMN tier SET NOT NULL;
ALTER TABLE customers DROP CONSTRAINT customers_tier_nn;
