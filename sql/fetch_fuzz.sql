-- Random and mutated fetch specs, where/order_by fragments and
-- fetch_children arguments, with a fixed seed: every call must end in rows
-- or a clean error, never an internal error (SQLSTATE XX000) or a crash.
-- The counts by outcome are part of the expected output, so any change in
-- how an input is treated shows up here.
CREATE SCHEMA ff;
SET search_path = ff, public;
CREATE TABLE country (id int PRIMARY KEY, name text);
CREATE TABLE author (id int PRIMARY KEY, name text, country_id int REFERENCES country);
CREATE TABLE post (id int PRIMARY KEY, title text, author_id int NOT NULL REFERENCES author,
                   published timestamptz);
CREATE TABLE tag (id int PRIMARY KEY, name text UNIQUE, active boolean);
CREATE TABLE post_tags (id serial PRIMARY KEY, post_id int NOT NULL REFERENCES post,
                        tag_id int NOT NULL REFERENCES tag, UNIQUE (post_id, tag_id));
CREATE TABLE comment (id int PRIMARY KEY, post_id int NOT NULL REFERENCES post,
                      parent_id int REFERENCES comment, body text);
INSERT INTO country SELECT i, 'country ' || i FROM generate_series(1, 3) i;
INSERT INTO author SELECT i, 'author ' || i, nullif(i % 4, 0) FROM generate_series(1, 6) i;
INSERT INTO post SELECT i, 'post ' || i, 1 + i % 6, '2024-01-01'::timestamptz + i * interval '1 day'
FROM generate_series(1, 20) i;
INSERT INTO tag SELECT i, 'tag ' || i, i % 3 <> 0 FROM generate_series(1, 8) i;
INSERT INTO post_tags (post_id, tag_id) SELECT DISTINCT p, 1 + (p * k) % 8 FROM generate_series(1, 20) p, generate_series(1, 3) k;
INSERT INTO comment SELECT i, 1 + i % 20, CASE WHEN i > 20 THEN i - 20 END, 'comment ' || i
FROM generate_series(1, 50) i;

-- a random pick from a list
CREATE FUNCTION pick(VARIADIC items text[]) RETURNS text LANGUAGE sql AS
$$ SELECT items[1 + floor(random() * array_length(items, 1))::int] $$;

-- a random JSON value for a spec key, valid or not
CREATE FUNCTION fuzz_value(key text, depth int) RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE
  r float8 := random();
BEGIN
  IF key = 'include' AND depth < 3 AND r < 0.7 THEN
    IF random() < 0.5 THEN
      RETURN jsonb_build_array(pick('author', 'author__country', 'tags', 'comment', 'comment__comment',
                                    'post', 'parent', 'country', 'nope', '', '__', 'author__', 'post_tags',
                                    'tag', 'tag_id', 'comment_parent_id_fkey', 'ff.author'));
    END IF;
    RETURN jsonb_build_object(pick('author', 'x', 'tags', 'comment', 'post', 'c', 'id'),
                              fuzz_spec(depth + 1));
  END IF;
  IF r < 0.15 THEN RETURN to_jsonb(floor(random() * 40 - 10)::int); END IF;
  IF r < 0.2 THEN RETURN to_jsonb(random() * 3); END IF;
  IF r < 0.25 THEN RETURN 'null'; END IF;
  IF r < 0.3 THEN RETURN '[1, "a"]'; END IF;
  IF r < 0.35 THEN RETURN '{"a": 1}'; END IF;
  IF r < 0.4 THEN RETURN to_jsonb(random() < 0.5); END IF;
  IF key = 'columns' THEN
    RETURN jsonb_build_array(pick('id', 'name', 'title', 'body', 'nope', 'ctid', ''), pick('id', 'id', 'name'));
  END IF;
  RETURN to_jsonb(pick(
    'id', 'id > 3', 'name', 'title DESC', 'active', 'true', 'id; DROP TABLE ff.post', 'true) OR (true',
    'id) --', '1', '2 DESC', 'id LIMIT 1', 'true UNION SELECT 1', '(SELECT 1 FOR UPDATE) = 1',
    'id IN (WITH d AS (DELETE FROM ff.tag RETURNING id) SELECT id FROM d)', '''', '/*', '$$', '"',
    'pg_sleep(0) IS NOT NULL', 'nope = 1', 'id = ''x''', 'random() < 2', 'author', 'author_id',
    'post_tags', 'tag_id', 'blog', '', ' ', 'id COLLATE "C"', 'name NULLS FIRST', 'E''\\x00''',
    repeat('(', 50) || 'true' || repeat(')', 50)));
END $f$;

-- a random spec: some of the keys, with random values
CREATE FUNCTION fuzz_spec(depth int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  spec jsonb := '{}';
  k text;
  chance float8;
BEGIN
  FOREACH k IN ARRAY ARRAY['columns', 'where', 'order_by', 'limit', 'offset', 'include',
                            'path', 'via', 'bogus']
  LOOP
    -- keys that are wrong at the root (or anywhere) less often, so that
    -- most specs get past the first check
    chance := CASE WHEN k = 'bogus' OR (depth = 0 AND k IN ('path', 'via'))
                   THEN 0.05 ELSE 0.3 END;
    IF random() < chance THEN
      spec := spec || jsonb_build_object(k, fuzz_value(k, depth));
    END IF;
  END LOOP;
  RETURN spec;
END $$;

-- mutate a text: delete, duplicate or replace a few characters
CREATE FUNCTION mutate(t text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  i int;
  p int;
BEGIN
  FOR i IN 1..1 + floor(random() * 3)::int LOOP
    p := 1 + floor(random() * greatest(length(t), 1))::int;
    t := CASE floor(random() * 3)::int
           WHEN 0 THEN overlay(t PLACING '' FROM p FOR 1)
           WHEN 1 THEN overlay(t PLACING substr(t, p, 1) || substr(t, p, 1) FROM p FOR 1)
           ELSE overlay(t PLACING pick('"', '{', '}', '[', ']', ',', ':', '_', 'x', '0', ';', ')', '''')
                        FROM p FOR 1)
         END;
  END LOOP;
  RETURN t;
END $f$;

CREATE TEMP TABLE outcomes (kind text, outcome text);

-- one call; the outcome is "rows" or the SQLSTATE; XX000 stops the test
CREATE FUNCTION try(kind text, parent regclass, spec jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM count(*) FROM relprefetch.fetch_json(parent, spec);
  INSERT INTO outcomes VALUES (kind, 'rows');
EXCEPTION WHEN OTHERS THEN
  IF SQLSTATE IN ('XX000', 'XX001', 'XX002') THEN
    RAISE EXCEPTION 'internal error % for %: %', SQLSTATE, spec, SQLERRM;
  END IF;
  INSERT INTO outcomes VALUES (kind, SQLSTATE);
END $$;

SELECT setseed(0.3);
DO $$
DECLARE
  valid text[] := ARRAY[
    '{"include": {"author": {"include": ["country"]}, "tags": {"where": "active", "order_by": "name"}, "comment": {"order_by": "id", "limit": 2}}}',
    '{"columns": ["id", "title"], "where": "id > 3", "order_by": "id DESC", "limit": 5, "include": ["author__country", "comment__comment"]}',
    '{"include": {"c": {"path": "comment", "include": {"r": {"path": "comment"}, "p": {"path": "parent"}}}}}'];
  tables regclass[] := ARRAY['post', 'author', 'comment', 'tag', 'post_tags', 'country'];
  i int;
  t text;
BEGIN
  FOR i IN 1..2000 LOOP
    PERFORM try('random', tables[1 + floor(random() * 6)::int], fuzz_spec(0));
  END LOOP;
  FOR i IN 1..1000 LOOP
    t := mutate(valid[1 + floor(random() * 3)::int]);
    BEGIN
      PERFORM try('mutated', 'post', t::jsonb);
    EXCEPTION WHEN invalid_text_representation THEN
      INSERT INTO outcomes VALUES ('mutated', 'not JSON');
    END;
  END LOOP;
END $$;

-- fetch_children with random arguments
DO $$
DECLARE
  i int;
  child text;
BEGIN
  FOR i IN 1..500 LOOP
    child := pick('comment', 'tag', 'post_tags', 'author', 'country');
    BEGIN
      EXECUTE format('SELECT count(*) FROM relprefetch.fetch_children(NULL::ff.post, NULL::ff.%I[], via => %L, parent_where => %L, child_where => %L, child_order_by => %L, child_limit => %s)',
                     child,
                     CASE WHEN random() < 0.7 THEN NULL ELSE pick('post_tags', 'tag_id', 'comment_post_id_fkey', 'nope') END,
                     CASE WHEN random() < 0.6 THEN NULL ELSE fuzz_value('where', 3) #>> '{}' END,
                     CASE WHEN random() < 0.6 THEN NULL ELSE fuzz_value('where', 3) #>> '{}' END,
                     CASE WHEN random() < 0.6 THEN NULL ELSE fuzz_value('order_by', 3) #>> '{}' END,
                     CASE WHEN random() < 0.6 THEN 'NULL' ELSE floor(random() * 6 - 2)::int::text END);
      INSERT INTO outcomes VALUES ('children', 'rows');
    EXCEPTION WHEN OTHERS THEN
      IF SQLSTATE IN ('XX000', 'XX001', 'XX002') THEN
        RAISE EXCEPTION 'internal error % in fetch_children: %', SQLSTATE, SQLERRM;
      END IF;
      INSERT INTO outcomes VALUES ('children', SQLSTATE);
    END;
  END LOOP;
END $$;

SELECT kind, outcome, count(*) FROM outcomes GROUP BY 1, 2 ORDER BY kind, outcome COLLATE "C";
-- the tables are intact (nothing in a fragment could write)
SELECT (SELECT count(*) FROM post) AS posts, (SELECT count(*) FROM tag) AS tags;
-- and the functions still work
SELECT count(*) FROM relprefetch.fetch_json('post', '{"include": ["author", "tags", "comment"]}');

DROP SCHEMA ff CASCADE;
RESET search_path;
