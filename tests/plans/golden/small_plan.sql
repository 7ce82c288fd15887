-- pgshift plan
-- server_version_num: 150004
-- catalog fingerprint: sha256:0123abcd
-- plan hash: sha256:abe527d98c193268cc63120cd83c83fe8905bf45e8b68cc2b790282cf39fcaa3
-- steps: 11
-- data checks: 2 checks in 0 ms, one REPEATABLE READ READ ONLY snapshot; 1 violated, 1 read a sample (tables of over 5000000 rows)
-- Run in autocommit mode, stopping at the first error, e.g.
--   psql -X -v ON_ERROR_STOP=1 -f plan.sql

-- Step 1: add column "token" of table "public.User"
-- phase: create; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: none
-- why: rule 3: a volatile default would rewrite every row; add the column nullable, then backfill
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" ADD COLUMN token uuid;
COMMIT;

-- Step 2: set the default of column "token" of table "public.User"
-- phase: alter; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: none
-- why: new rows get the default while existing rows are backfilled
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" ALTER COLUMN token SET DEFAULT gen_random_uuid();
COMMIT;

-- Step 3: backfill column "token" of table "public.User"
-- phase: backfill; duration: online_scan; locks: ROW EXCLUSIVE on public.User
-- hazards: none; estimated rows: 250000
-- why: existing rows get the value in short batches in order of (id), one commit each: no long lock, no table rewrite
SET lock_timeout = '200ms';
SET statement_timeout = 0;  -- per batch: '60000ms' under pgshift apply
DO $pgshift$
DECLARE
  pgshift_k1 public."User".id%TYPE;
  pgshift_b1 public."User".id%TYPE;
  pgshift_first boolean := true;
BEGIN
  LOOP
    IF pgshift_first THEN
      SELECT id INTO pgshift_b1 FROM public."User"
       ORDER BY id OFFSET 9999 LIMIT 1;
    ELSE
      SELECT id INTO pgshift_b1 FROM public."User" WHERE (id) > (pgshift_k1)
       ORDER BY id OFFSET 9999 LIMIT 1;
    END IF;
    EXIT WHEN NOT FOUND;
    IF pgshift_first THEN
      UPDATE public."User" SET token = (gen_random_uuid()) WHERE (id) <= (pgshift_b1) AND (token IS NULL);
    ELSE
      UPDATE public."User" SET token = (gen_random_uuid()) WHERE (id) > (pgshift_k1) AND (id) <= (pgshift_b1) AND (token IS NULL);
    END IF;
    COMMIT;
    pgshift_k1 := pgshift_b1;
    pgshift_first := false;
  END LOOP;
  IF pgshift_first THEN
    UPDATE public."User" SET token = (gen_random_uuid()) WHERE (token IS NULL);
  ELSE
    UPDATE public."User" SET token = (gen_random_uuid()) WHERE (id) > (pgshift_k1) AND (token IS NULL);
  END IF;
END
$pgshift$;

-- Step 4: add CHECK (token IS NOT NULL) NOT VALID to table "public.User"
-- phase: constrain; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: none
-- why: NOT VALID skips the scan: the ACCESS EXCLUSIVE lock is brief
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" ADD CONSTRAINT pgshift_nn_token CHECK (token IS NOT NULL) NOT VALID;
COMMIT;

-- Step 5: add foreign key "orders_user_id_fkey" of table "public.orders"
-- phase: constrain; duration: catalog_only; locks: SHARE ROW EXCLUSIVE on public.orders, SHARE ROW EXCLUSIVE on public.User
-- hazards: none
-- why: rule 6: NOT VALID skips the scan; VALIDATE follows under a weaker lock
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES public."User" (id) NOT VALID;
COMMIT;

-- Step 6: create index "User_select_idx" on table "public.User"
-- phase: constrain; duration: online_scan; locks: SHARE UPDATE EXCLUSIVE on public.User
-- hazards: non_transactional; estimated rows: 250000
-- why: rule 8: CREATE INDEX CONCURRENTLY lets reads and writes go on
SET lock_timeout = 0;  -- its locks block no reads or writes: it may wait, up to its statement_timeout
SET statement_timeout = '14400000ms';
CREATE INDEX CONCURRENTLY "User_select_idx" ON public."User" USING btree ("select");

-- Step 7: validate CHECK (token IS NOT NULL) on table "public.User"
-- phase: validate; duration: online_scan; locks: SHARE UPDATE EXCLUSIVE on public.User
-- hazards: none; estimated rows: 250000
-- why: VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on
-- data check (not_null): rows where "token" is NULL after the backfill (gen_random_uuid()): checked a 2% sample (TABLESAMPLE SYSTEM): no violation found; 0 ms
--   lists them: SELECT pgshift_row.id FROM public."User" AS pgshift_row WHERE (gen_random_uuid()) IS NULL
SET lock_timeout = 0;  -- its locks block no reads or writes: it may wait, up to its statement_timeout
SET statement_timeout = '3600000ms';
BEGIN;
ALTER TABLE public."User" VALIDATE CONSTRAINT pgshift_nn_token;
COMMIT;

-- Step 8: set NOT NULL on column "token" of table "public.User"
-- phase: validate; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: none
-- why: PostgreSQL 12+ skips the scan: the valid CHECK proves no NULLs
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" ALTER COLUMN token SET NOT NULL;
COMMIT;

-- Step 9: drop the helper CHECK of column "token" of table "public.User"
-- phase: validate; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: none
-- why: the NOT NULL attribute now enforces it
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" DROP CONSTRAINT pgshift_nn_token;
COMMIT;

-- Step 10: validate foreign key "orders_user_id_fkey" of table "public.orders"
-- phase: validate; duration: online_scan; locks: SHARE UPDATE EXCLUSIVE on public.orders, ROW SHARE on public.User
-- hazards: none; estimated rows: 1000000
-- why: VALIDATE scans under SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced table): reads and writes go on
-- data check (foreign_key): rows of foreign key "orders_user_id_fkey" without a row in "public.User": 2 rows violate it (e.g. id=17; id=4242); 0 ms
--   lists them: SELECT pgshift_row.id FROM public.orders AS pgshift_row WHERE pgshift_row.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public."User" AS pgshift_ref WHERE pgshift_ref.id = pgshift_row.user_id)
SET lock_timeout = 0;  -- its locks block no reads or writes: it may wait, up to its statement_timeout
SET statement_timeout = '3600000ms';
BEGIN;
ALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_id_fkey;
COMMIT;

-- Step 11: drop column "legacy" of table "public.User"
-- phase: drop; duration: catalog_only; locks: ACCESS EXCLUSIVE on public.User
-- hazards: data_loss
-- why: rule 10: the column is not in the desired schema; its data is lost
SET lock_timeout = '200ms';
SET statement_timeout = '10000ms';
BEGIN;
ALTER TABLE public."User" DROP COLUMN legacy;
COMMIT;
