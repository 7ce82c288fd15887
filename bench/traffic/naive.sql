-- The course migrations written the naive way: a volatile default that
-- rewrites customers, one UPDATE of every row, a plain foreign key and a
-- plain index build, each under a lock that stops traffic.
ALTER TABLE customers ADD COLUMN loyalty_tier text NOT NULL
  DEFAULT (CASE WHEN random() >= 0 THEN 'bronze' END);
UPDATE customers SET loyalty_tier = CASE WHEN created_at < '2024-06-01' THEN 'silver' ELSE 'bronze' END;
ALTER TABLE customers ALTER COLUMN loyalty_tier SET DEFAULT 'bronze';
ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id);
CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at);
