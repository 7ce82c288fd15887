SET lock_timeout = '2s';
ALTER TABLE customers ADD CONSTRAINT customers_email_nn CHECK (email IS NOT NULL);
ALTER TABLE customers ALTER COLUMN email SET NOT NULL;
