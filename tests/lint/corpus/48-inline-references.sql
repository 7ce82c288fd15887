SET lock_timeout = '2s';
ALTER TABLE payments ADD COLUMN refund_of bigint REFERENCES payments (id);
