SET search_path = app;
CREATE TABLE tickets (id bigint, title text);
CREATE INDEX tickets_title_idx ON app.tickets (title);
CREATE INDEX other_idx ON public.tickets (title);
