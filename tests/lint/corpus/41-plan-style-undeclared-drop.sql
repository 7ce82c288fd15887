-- hazards: data_loss
SET lock_timeout = '2s';
ALTER TABLE public.customers DROP COLUMN fax;
-- hazards: none
ALTER TABLE public.customers DROP COLUMN pager;
