CREATE TABLE drafts (id bigint, body varchar(100));
ALTER TABLE drafts ALTER COLUMN body TYPE text;
ALTER TABLE drafts ALTER COLUMN id TYPE integer;
