-- Step 1: drop column "fax" of table "public.customers"
-- hazards: data_loss
SET lock_timeout = '200ms';
BEGIN;
ALTER TABLE public.customers DROP COLUMN fax;
COMMIT;
