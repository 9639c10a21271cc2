-- The fixed cases of the fuzz test (t/013_fuzz.pl): inputs found by fuzzing
-- that crashed the server or failed with an internal error, run by every
-- fuzz test whatever the seed, each by psql in one session, in a schema of
-- its own.  Read by fixed_cases() in t/RelprefetchFuzz.pm.
--
-- Format: "-- @@ setup" starts the statements that run before every case;
-- "-- @@ case NAME" starts a case, its first comment lines say what it
-- found (a test failure prints them), the rest is its SQL, statements
-- separated by ";\n".  Text before the first "-- @@" line is left out.

-- @@ setup
CREATE TABLE post (id int PRIMARY KEY, title text);
CREATE TABLE comment (id int PRIMARY KEY, post_id int REFERENCES post, body text);
INSERT INTO post SELECT g, 'p' || g FROM generate_series(1, 5) g;
INSERT INTO comment SELECT g, 1 + g % 5, 'c' || g FROM generate_series(1, 20) g;

-- @@ case ddl_in_where_fragment
-- a where fragment calls a function that drops a column of an included
-- table and adds it back with another type and a default: the prepared
-- query of the include was re-planned with the new type and its values
-- rendered as the old type (found crashing the server with signal 11, text
-- read as int4 and point read as text failing with XX000 "invalid string
-- enlargement request size", int4 read as text giving garbage; fixed by
-- checking each query's rows against the types it was prepared for)
CREATE FUNCTION flip() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute WHERE attrelid = 'comment'::regclass AND attname = 'body') = 'text'::regtype THEN
    ALTER TABLE comment DROP COLUMN body;
    ALTER TABLE comment ADD COLUMN body int DEFAULT 5;
  END IF;
  RETURN true;
END $$;
SELECT relprefetch.fetch_json('post', '{"where": "flip()", "include": ["comment"]}');

-- @@ case ddl_under_cursor
-- the same through a cursor: between two FETCHes of a cursor over
-- fetch_json, a column of the included table is dropped and added back with
-- another type and a default (found crashing the server, signal 11)
SET relprefetch.fetch_batch_size = 1;
BEGIN;
DECLARE c CURSOR FOR SELECT relprefetch.fetch_json('post', '{"include": ["comment"]}');
FETCH 1 FROM c;
ALTER TABLE comment DROP COLUMN body;
ALTER TABLE comment ADD COLUMN body int DEFAULT 5;
FETCH 1 FROM c;
ROLLBACK;

-- @@ case children_ddl_under_cursor
-- fetch_children through a cursor, the child table altered between two
-- FETCHes (typed rows of the old row type; it never failed, kept beside the
-- two above)
SET relprefetch.fetch_batch_size = 1;
BEGIN;
DECLARE c CURSOR FOR SELECT relprefetch.fetch_children(NULL::post, NULL::comment[]);
FETCH 1 FROM c;
ALTER TABLE comment DROP COLUMN body;
ALTER TABLE comment ADD COLUMN body int DEFAULT 5;
FETCH 1 FROM c;
ROLLBACK;

-- @@ case cursor_gone_after_rollback_to
-- a cursor over fetch_json first read inside a savepoint that is then
-- rolled back: the next FETCH failed with an internal error (XX000
-- "relprefetch: the cursor of the parent rows is gone"; fixed by reading
-- the parent rows into a tuplestore at the first call)
SET relprefetch.fetch_batch_size = 2;
BEGIN;
DECLARE c CURSOR FOR SELECT relprefetch.fetch_json('post', '{"include": ["comment"]}');
SAVEPOINT s;
FETCH 1 FROM c;
ROLLBACK TO s;
FETCH 1 FROM c;
FETCH 1 FROM c;
ROLLBACK;

-- @@ case plpgsql_cursor_in_exception_block
-- a PL/pgSQL cursor over fetch_json read first inside an exception block
-- that fails (the same as cursor_gone_after_rollback_to)
SET relprefetch.fetch_batch_size = 1;
DO $$
DECLARE
  c refcursor;
  r record;
BEGIN
  OPEN c FOR SELECT relprefetch.fetch_json('post', '{"include": ["comment"]}');
  BEGIN
    FETCH c INTO r;
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN
    NULL;
  END;
  FETCH c INTO r;
  FETCH c INTO r;
  CLOSE c;
END $$;
