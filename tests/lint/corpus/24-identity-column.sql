SET lock_timeout = '2s';
ALTER TABLE events ADD COLUMN event_no bigint GENERATED ALWAYS AS IDENTITY;
