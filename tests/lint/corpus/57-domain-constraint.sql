SET lock_timeout = '2s';
ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0);
ALTER DOMAIN positive_amount ADD CONSTRAINT small CHECK (VALUE < 1000000) NOT VALID;
ALTER DOMAIN positive_amount SET DEFAULT 1;
