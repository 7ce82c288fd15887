-- Reference stand of the course "Safe Schema Changes": schema only, no data.
-- Load with: examples/stand/load URL [--scale N]   (drops + recreates + seeds)
--
-- Deliberately "before the migrations" state:
--   * customers has no loyalty_tier column yet;
--   * payments.order_id has no foreign key yet;
--   * only primary keys are indexed (no index on orders.customer_id, no
--     unique constraint on customers.email).

CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text        NOT NULL,
    full_name   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    status      text        NOT NULL DEFAULT 'active',
    country     text
);

CREATE TABLE orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint        NOT NULL REFERENCES customers (id),
    status       text          NOT NULL DEFAULT 'new',
    total        numeric(12,2) NOT NULL,
    created_at   timestamptz   NOT NULL DEFAULT now(),
    updated_at   timestamptz
);

CREATE TABLE payments (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id  bigint        NOT NULL,  -- FK to orders(id) is added later, as a migration
    amount    numeric(12,2) NOT NULL,
    method    text,
    status    text,
    paid_at   timestamptz
);

CREATE TABLE subscriptions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint      NOT NULL REFERENCES customers (id),
    plan         text        NOT NULL,
    started_at   timestamptz NOT NULL,
    ends_at      timestamptz,
    active       boolean     NOT NULL DEFAULT true
);
