-- Reference stand of the course "Safe Schema Changes": data.
-- Expects the empty tables of schema.sql. Run with psql in ONE session:
--   psql URL -v ON_ERROR_STOP=1 -v scale=100 -f schema.sql -f seed.sql
-- :scale is a divisor (default 1): 1 -> 200k customers / 1M orders /
-- 800k payments / 50k subscriptions; 100 -> 2k / 10k / 8k / 500.
-- Repeatable: same seed, same rows (for a given PostgreSQL major version;
-- random() changed its algorithm in PostgreSQL 15). All timestamps are
-- relative to a fixed point (2025-01-01 UTC), not to now().

\if :{?scale}
\else
\set scale 1
\endif

SET synchronous_commit = off;
SET client_min_messages = warning;

\set n_customers     '(200000 / :scale)'
\set n_orders        '(1000000 / :scale)'
\set n_payments      '(800000 / :scale)'
\set n_subscriptions '(50000 / :scale)'

SELECT setseed(0.42) \gset _

-- customers: ids 1..N (explicit, so that references below are valid)
INSERT INTO customers (id, email, full_name, created_at, status, country)
OVERRIDING SYSTEM VALUE
SELECT g,
       'customer' || g || '@example.com',
       CASE WHEN r_name < 0.03 THEN NULL
            ELSE (ARRAY['Anna','Boris','Chloe','David','Elena','Farid','Greta','Hiro','Ivan','Julia',
                        'Kofi','Lena','Marco','Nadia','Oscar','Priya','Quentin','Rosa','Sven','Tara'])[1 + floor(r_first * 20)::int]
                 || ' ' ||
                 (ARRAY['Smith','Ivanova','Garcia','Müller','Tanaka','Rossi','Dubois','Kowalski','Nguyen','Silva',
                        'Johnson','Petrov','Lopez','Schmidt','Sato','Bianchi','Martin','Nowak','Tran','Costa'])[1 + floor(r_last * 20)::int]
       END,
       timestamptz '2025-01-01 00:00:00+00' - r_age * interval '1095 days',
       CASE WHEN r_status < 0.90 THEN 'active'
            WHEN r_status < 0.97 THEN 'inactive'
            ELSE 'banned' END,
       CASE WHEN r_country < 0.05 THEN NULL
            ELSE (ARRAY['US','DE','GB','FR','ES','IT','NL','PL','BR','IN','JP','CA'])[1 + floor(r_country2 * 12)::int] END
FROM (SELECT g, random() AS r_name, random() AS r_first, random() AS r_last, random() AS r_age,
             random() AS r_status, random() AS r_country, random() AS r_country2
      FROM generate_series(1, :n_customers) AS g) s;

-- orders: customer_id uniformly over existing customers
INSERT INTO orders (id, customer_id, status, total, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT g,
       1 + floor(r_cust * :n_customers)::bigint,
       CASE WHEN r_status < 0.10 THEN 'new'
            WHEN r_status < 0.35 THEN 'paid'
            WHEN r_status < 0.55 THEN 'shipped'
            WHEN r_status < 0.93 THEN 'delivered'
            ELSE 'cancelled' END,
       round((5 + r_total * 495)::numeric, 2),
       timestamptz '2025-01-01 00:00:00+00' - r_age * interval '730 days',
       CASE WHEN r_status < 0.10 THEN NULL
            ELSE timestamptz '2025-01-01 00:00:00+00' - r_age * interval '730 days' + r_upd * interval '14 days' END
FROM (SELECT g, random() AS r_cust, random() AS r_status, random() AS r_total, random() AS r_age,
             random() AS r_upd
      FROM generate_series(1, :n_orders) AS g) s;

-- payments: order_id uniformly over existing orders (no FK yet)
INSERT INTO payments (id, order_id, amount, method, status, paid_at)
OVERRIDING SYSTEM VALUE
SELECT g,
       1 + floor(r_order * :n_orders)::bigint,
       round((5 + r_amount * 495)::numeric, 2),
       CASE WHEN r_method < 0.02 THEN NULL
            ELSE (ARRAY['card','card','card','paypal','bank_transfer','apple_pay','google_pay'])[1 + floor(r_method2 * 7)::int] END,
       CASE WHEN r_status < 0.85 THEN 'succeeded'
            WHEN r_status < 0.92 THEN 'failed'
            WHEN r_status < 0.97 THEN 'refunded'
            ELSE 'pending' END,
       CASE WHEN r_status >= 0.97 THEN NULL
            ELSE timestamptz '2025-01-01 00:00:00+00' - r_age * interval '730 days' END
FROM (SELECT g, random() AS r_order, random() AS r_amount, random() AS r_method, random() AS r_method2,
             random() AS r_status, random() AS r_age
      FROM generate_series(1, :n_payments) AS g) s;

-- subscriptions
INSERT INTO subscriptions (id, customer_id, plan, started_at, ends_at, active)
OVERRIDING SYSTEM VALUE
SELECT g,
       1 + floor(r_cust * :n_customers)::bigint,
       plan,
       started_at,
       ends_at,
       ends_at IS NULL OR ends_at > timestamptz '2025-01-01 00:00:00+00'
FROM (SELECT g, r_cust,
             (ARRAY['free','basic','basic','pro','pro','enterprise'])[1 + floor(r_plan * 6)::int] AS plan,
             timestamptz '2025-01-01 00:00:00+00' - r_start * interval '1000 days' AS started_at,
             CASE WHEN r_end < 0.5 THEN NULL
                  ELSE timestamptz '2025-01-01 00:00:00+00' - r_start * interval '1000 days'
                       + (CASE WHEN r_len < 0.6 THEN interval '30 days' ELSE interval '365 days' END)
                         * (1 + floor(r_end * 4)) END AS ends_at
      FROM (SELECT g, random() AS r_cust, random() AS r_plan, random() AS r_start, random() AS r_end,
                   random() AS r_len
            FROM generate_series(1, :n_subscriptions) AS g) s0) s;

-- identity sequences continue after the explicit ids
SELECT setval(pg_get_serial_sequence('customers', 'id'),     (SELECT coalesce(max(id), 0) + 1 FROM customers), false) AS c,
       setval(pg_get_serial_sequence('orders', 'id'),        (SELECT coalesce(max(id), 0) + 1 FROM orders), false) AS o,
       setval(pg_get_serial_sequence('payments', 'id'),      (SELECT coalesce(max(id), 0) + 1 FROM payments), false) AS p,
       setval(pg_get_serial_sequence('subscriptions', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM subscriptions), false) AS s
\gset _next_

ANALYZE customers;
ANALYZE orders;
ANALYZE payments;
ANALYZE subscriptions;
