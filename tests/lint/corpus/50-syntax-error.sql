ALTER TABLE customers ADD COLUMN nickname text;
ALTER TABLE customers ADD COLUM motto text;
