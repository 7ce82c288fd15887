UPDATE customers SET nickname = name WHERE nickname IS NULL;
DO $$ BEGIN PERFORM 1; END $$;
VACUUM ANALYZE customers;
