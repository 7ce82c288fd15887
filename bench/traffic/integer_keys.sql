-- The starting point of the bigint scenarios: the stand as an older
-- application created it, orders.id a serial-style integer key (integer,
-- default nextval of an integer sequence owned by the column) and
-- payments.order_id an integer with its foreign key to orders.id. Run on a
-- freshly loaded stand, before traffic starts (it rewrites both tables).
ALTER TABLE orders ALTER COLUMN id DROP IDENTITY;
ALTER TABLE orders ALTER COLUMN id TYPE integer;
ALTER TABLE payments ALTER COLUMN order_id TYPE integer;
CREATE SEQUENCE orders_id_seq AS integer OWNED BY orders.id;
ALTER TABLE orders ALTER COLUMN id SET DEFAULT nextval('orders_id_seq');
SELECT setval('orders_id_seq', max(id)) FROM orders;
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
