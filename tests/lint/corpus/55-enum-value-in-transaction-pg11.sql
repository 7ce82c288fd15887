-- lint-options: --pg-version 11
BEGIN;
ALTER TYPE mood ADD VALUE 'ecstatic';
COMMIT;
