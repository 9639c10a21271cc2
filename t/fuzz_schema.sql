-- The schema of the fuzz test (t/013_fuzz.pl): tables with every kind of
-- relationship the fetch functions follow, their data, and helper functions
-- for fragments and statements.  t/RelprefetchFuzz.pm reads this file and
-- runs it in a schema of its own (it puts CREATE SCHEMA and SET search_path
-- before it): fz, which no input alters, and fzN for session N, rebuilt
-- every 150 inputs.  This header, up to the first blank line, is left out.
-- The generator knows these tables' columns and relationships (%COLUMNS and
-- %RELS in t/RelprefetchFuzz.pm): change both together.

CREATE TABLE country (id int PRIMARY KEY, name text, code char(2) UNIQUE);
CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL,
  country_id int REFERENCES country, mentor_id int REFERENCES author);
CREATE TABLE post (id int PRIMARY KEY, junk int, title text,
  author_id int NOT NULL REFERENCES author, editor_id int REFERENCES author,
  published timestamptz, score numeric, meta jsonb, flags int[]);
ALTER TABLE post DROP COLUMN junk;
CREATE TABLE tag (id int PRIMARY KEY, name text UNIQUE, active boolean, color text COLLATE "C");
CREATE TABLE post_tags (post_id int REFERENCES post, tag_id int REFERENCES tag,
  PRIMARY KEY (post_id, tag_id));
CREATE TABLE comment (id bigint PRIMARY KEY, post_id int NOT NULL REFERENCES post,
  parent_id bigint REFERENCES comment, body text, created date);
CREATE TABLE tag_links (from_id int REFERENCES tag, to_id int REFERENCES tag,
  PRIMARY KEY (from_id, to_id));
CREATE TABLE region (cc char(2), code int, name text, PRIMARY KEY (cc, code));
CREATE TABLE office (id int PRIMARY KEY, cc char(2), code int, label varchar(20),
  FOREIGN KEY (cc, code) REFERENCES region);
CREATE TABLE big (id bigint PRIMARY KEY, v text);
CREATE TABLE small_ref (id int PRIMARY KEY, big_id int REFERENCES big);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE TABLE ukeys (u uuid PRIMARY KEY, t text COLLATE "C" UNIQUE, m mood, p pair);
CREATE TABLE uref (id int PRIMARY KEY, u uuid REFERENCES ukeys, t text REFERENCES ukeys (t),
  d posint);
CREATE TABLE wallet (m money PRIMARY KEY);
CREATE TABLE purse (id int PRIMARY KEY, m money REFERENCES wallet);
CREATE TABLE fl (id float8 PRIMARY KEY);
CREATE TABLE flref (id int PRIMARY KEY, f float8 REFERENCES fl);
CREATE TABLE event (id int, post_id int REFERENCES post, kind text, PRIMARY KEY (id, kind))
  PARTITION BY LIST (kind);
CREATE TABLE ev_a PARTITION OF event FOR VALUES IN ('a');
CREATE TABLE ev_b PARTITION OF event FOR VALUES IN ('b');
CREATE TABLE "Odd ""Name""" ("Id" int PRIMARY KEY, "sp ace" text, "ünï" int, "?key1?" int,
  gen int GENERATED ALWAYS AS ("Id" * 2) STORED);
CREATE TABLE odd_child (id int PRIMARY KEY, odd_id int REFERENCES "Odd ""Name""", "?key1?" text);
CREATE TABLE empty_t (id int PRIMARY KEY, post_id int REFERENCES post);
CREATE TABLE nokey (a int, b text);
CREATE VIEW post_v AS SELECT id, title, author_id FROM post;
INSERT INTO country SELECT i, 'country ' || i, chr(64 + i) || chr(65 + i) FROM generate_series(1, 6) i;
INSERT INTO author SELECT i, 'author ' || i, nullif(i % 7, 0), CASE WHEN i > 3 THEN i / 2 END
  FROM generate_series(1, 20) i;
INSERT INTO post SELECT i, 'post ' || i || ' é', 1 + i % 20, CASE WHEN i % 3 = 0 THEN 1 + i % 5 END,
  '2024-01-01'::timestamptz + i * interval '1 day', i / 7.0, jsonb_build_object('n', i),
  ARRAY[i, i + 1] FROM generate_series(1, 60) i;
INSERT INTO tag SELECT i, 'tag ' || i, i % 3 <> 0, CASE WHEN i % 2 = 0 THEN 'red' END
  FROM generate_series(1, 10) i;
INSERT INTO post_tags SELECT DISTINCT p, 1 + (p * k) % 10 FROM generate_series(1, 60) p, generate_series(1, 3) k;
INSERT INTO comment SELECT i, 1 + i % 60, CASE WHEN i > 60 THEN i - 60 END, 'comment ' || i,
  '2024-02-01'::date + i FROM generate_series(1, 200) i;
INSERT INTO tag_links SELECT i, 1 + (i * 3) % 10 FROM generate_series(1, 10) i;
INSERT INTO region SELECT code, n, code || n FROM country, generate_series(1, 2) n;
INSERT INTO office SELECT i, chr(64 + 1 + i % 6) || chr(65 + 1 + i % 6), 1 + i % 2, 'office ' || i
  FROM generate_series(1, 12) i;
INSERT INTO big SELECT i, 'big ' || i FROM generate_series(1, 5) i;
INSERT INTO small_ref SELECT i, nullif(i % 6, 0) FROM generate_series(1, 8) i;
INSERT INTO ukeys SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'k' || i,
  (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood, ROW(i, 'p' || i)::pair FROM generate_series(1, 5) i;
INSERT INTO uref SELECT i, ('00000000-0000-0000-0000-00000000000' || (1 + i % 5))::uuid,
  'k' || (1 + i % 5), i FROM generate_series(1, 9) i;
INSERT INTO wallet VALUES ('1.00'), ('2.00');
INSERT INTO purse VALUES (1, '1.00'), (2, '2.00'), (3, NULL);
INSERT INTO fl VALUES (0), (1.5), ('NaN'), ('Infinity');
INSERT INTO flref VALUES (1, 0), (2, '-0'), (3, 'NaN'), (4, 1.5), (5, NULL);
INSERT INTO event SELECT i, 1 + i % 60, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END FROM generate_series(1, 30) i;
INSERT INTO "Odd ""Name""" SELECT i, 'odd ' || i, i, i FROM generate_series(1, 4) i;
INSERT INTO odd_child SELECT i, 1 + i % 4, 'c' || i FROM generate_series(1, 8) i;
INSERT INTO nokey VALUES (1, 'a'), (2, NULL);
CREATE MATERIALIZED VIEW post_mv AS SELECT id, author_id FROM post;
ANALYZE country, author, post, tag, post_tags, comment, tag_links, region, office, big,
  small_ref, ukeys, uref, wallet, purse, fl, flref, event, "Odd ""Name""", odd_child;
-- a difference found by an oracle input
CREATE FUNCTION fz_check(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'fuzz oracle: % differs', what USING ERRCODE = 'FZ001';
  END IF;
  RETURN true;
END $$;
-- functions with side effects, for fragments and statements
CREATE FUNCTION flip_body() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute WHERE attrelid = 'comment'::regclass
      AND attname = 'body' AND NOT attisdropped) = 'text'::regtype THEN
    ALTER TABLE comment DROP COLUMN body;
    ALTER TABLE comment ADD COLUMN body int DEFAULT 5;
  ELSE
    ALTER TABLE comment DROP COLUMN IF EXISTS body;
    ALTER TABLE comment ADD COLUMN body text DEFAULT 'flipped';
  END IF;
  RETURN true;
END $$;
CREATE FUNCTION flip_name() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT atttypid FROM pg_attribute WHERE attrelid = 'author'::regclass
      AND attname = 'name' AND NOT attisdropped) = 'text'::regtype THEN
    ALTER TABLE author DROP COLUMN name;
    ALTER TABLE author ADD COLUMN name point DEFAULT '(1,2)';
  ELSE
    ALTER TABLE author DROP COLUMN IF EXISTS name;
    ALTER TABLE author ADD COLUMN name text DEFAULT 'renamed';
  END IF;
  RETURN true;
END $$;
CREATE FUNCTION add_column() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'tag'::regclass AND attname = 'extra'
             AND NOT attisdropped) THEN
    ALTER TABLE tag DROP COLUMN extra;
  ELSE
    ALTER TABLE tag ADD COLUMN extra int DEFAULT 42;
  END IF;
  RETURN true;
END $$;
CREATE FUNCTION toggle_fk() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM pg_constraint WHERE conname = 'comment_post_id_fkey'
             AND conrelid = 'comment'::regclass) THEN
    ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey;
  ELSE
    ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey FOREIGN KEY (post_id) REFERENCES post NOT VALID;
  END IF;
  RETURN true;
END $$;
CREATE FUNCTION rename_tag_name() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'tag'::regclass AND attname = 'name') THEN
    ALTER TABLE tag RENAME COLUMN name TO label;
  ELSE
    ALTER TABLE tag RENAME COLUMN label TO name;
  END IF;
  RETURN true;
END $$;
CREATE FUNCTION batch(n int) RETURNS boolean LANGUAGE sql AS
  $$ SELECT set_config('relprefetch.fetch_batch_size', n::text, false) IS NOT NULL $$;
CREATE FUNCTION analyze_comment() RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN ANALYZE comment; RETURN true; END $$;
CREATE FUNCTION noisy(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'noisy %', v;
  IF v % 7 = 0 THEN RAISE WARNING 'noisy warning %', v; END IF;
  RETURN true;
END $$;
CREATE FUNCTION fail(code text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'fail %', code USING ERRCODE = code; END $$;
CREATE FUNCTION nested_fetch() RETURNS boolean LANGUAGE sql AS
  $$ SELECT count(*) >= 0 FROM relprefetch.fetch_json('post', '{"include": ["comment", "tags"]}') $$;
CREATE FUNCTION recurse(spec jsonb) RETURNS boolean LANGUAGE sql AS
  $$ SELECT count(*) >= 0 FROM relprefetch.fetch_json('author', spec) $$;
CREATE FUNCTION do_reset() RETURNS boolean LANGUAGE sql AS $$ SELECT relprefetch.reset() IS NOT NULL $$;
CREATE FUNCTION do_end_unit() RETURNS boolean LANGUAGE sql AS $$ SELECT relprefetch.end_unit() IS NULL $$;
CREATE FUNCTION add_comment() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO comment (id, post_id, body) SELECT coalesce(max(id), 0) + 1, 1, 'added' FROM comment;
  RETURN true;
END $$;
CREATE FUNCTION del_comments() RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN DELETE FROM comment WHERE id > 190; RETURN true; END $$;
CREATE FUNCTION lookups(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  r int := 0;
BEGIN
  FOR i IN 1..n LOOP
    PERFORM name FROM author WHERE id = i;
    r := r + 1;
  END LOOP;
  RETURN r;
END $$;
CREATE PROCEDURE commit_loop(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    PERFORM name FROM author WHERE id = i;
    IF i % 3 = 0 THEN COMMIT; END IF;
    IF i % 4 = 0 THEN ROLLBACK; END IF;
  END LOOP;
END $$;
