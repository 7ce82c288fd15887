-- lint-options: --pg-version 11
SET lock_timeout = '2s';
ALTER TABLE customers ADD CONSTRAINT customers_tier_nn CHECK (loyalty_tier IS NOT NULL) NOT VALID;
ALTER TABLE customers VALIDATE CONSTRAINT customers_tier_nn;
ALTER TABLE customers ALTER COLUMN loyalty_tier SET NOT NULL;
