SET lock_timeout = '2s';
ALTER TABLE orders
  ADD COLUMN note text,
  ALTER COLUMN status SET NOT NULL,
  ADD CONSTRAINT orders_note_len CHECK (length(note) < 500);
