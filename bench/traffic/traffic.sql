-- Simulated production traffic on the stand (pgbench script, one transaction
-- per run): point reads of a customer and an order, a new order with its
-- payment, a status update. :ncust and :nord are set with pgbench -D.
\set cid random(1, :ncust)
\set oid random(1, :nord)
BEGIN;
SELECT id, email, status FROM customers WHERE id = :cid;
SELECT id, status, total FROM orders WHERE id = :oid;
INSERT INTO orders (customer_id, status, total) VALUES (:cid, 'new', 19.90) RETURNING id AS new_order \gset
INSERT INTO payments (order_id, amount, method, status, paid_at) VALUES (:new_order, 19.90, 'card', 'paid', now());
UPDATE orders SET status = 'shipped', updated_at = now() WHERE id = :oid;
END;
