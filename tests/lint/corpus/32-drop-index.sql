SET lock_timeout = '2s';
DROP INDEX orders_old_idx;
