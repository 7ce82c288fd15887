-- integer -> bigint of orders.id and payments.order_id the direct way: both
-- tables rewritten (and the foreign key checked again) under ACCESS
-- EXCLUSIVE, in one transaction. The parent is locked before the child, as
-- the traffic writes them: in the other order the two wait for each other
-- until the deadlock detector cancels one.
BEGIN;
LOCK TABLE orders, payments IN ACCESS EXCLUSIVE MODE;
ALTER TABLE orders ALTER COLUMN id TYPE bigint;
ALTER TABLE payments ALTER COLUMN order_id TYPE bigint;
ALTER SEQUENCE orders_id_seq AS bigint;
COMMIT;
