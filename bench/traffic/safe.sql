-- The course migrations as a careful engineer writes them by hand: every DDL
-- under lock_timeout, a batched backfill, NOT NULL through CHECK NOT VALID +
-- VALIDATE, the foreign key NOT VALID + VALIDATE, the index CONCURRENTLY.
-- A lock timeout aborts this script (no retries): the reference point is the
-- traffic cost of the shape, not its robustness.
SET lock_timeout = '200ms';
ALTER TABLE customers ADD COLUMN loyalty_tier text;
ALTER TABLE customers ALTER COLUMN loyalty_tier SET DEFAULT 'bronze';
DO $$
DECLARE lo bigint; hi bigint; step bigint := 5000;
BEGIN
  SELECT min(id), max(id) INTO lo, hi FROM customers;
  WHILE lo <= hi LOOP
    UPDATE customers SET loyalty_tier = CASE WHEN created_at < '2024-06-01' THEN 'silver' ELSE 'bronze' END
     WHERE id >= lo AND id < lo + step AND loyalty_tier IS NULL;
    COMMIT;
    PERFORM pg_sleep(0.05);
    lo := lo + step;
  END LOOP;
END $$;
ALTER TABLE customers ADD CONSTRAINT loyalty_tier_not_null CHECK (loyalty_tier IS NOT NULL) NOT VALID;
ALTER TABLE customers VALIDATE CONSTRAINT loyalty_tier_not_null;
ALTER TABLE customers ALTER COLUMN loyalty_tier SET NOT NULL;
ALTER TABLE customers DROP CONSTRAINT loyalty_tier_not_null;
-- Parent before child, as the traffic writes them: the other order deadlocks
-- with it until lock_timeout fires.
BEGIN;
LOCK TABLE orders, payments IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
COMMIT;
ALTER TABLE payments VALIDATE CONSTRAINT payments_order_id_fkey;
CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON orders (customer_id, created_at);
