--
-- fetch_errors: every documented error of fetch_json and fetch_children,
-- with its SQLSTATE and message, and fragments that must be refused
--
CREATE SCHEMA fe;
SET search_path = fe, public;

CREATE TABLE country (id int PRIMARY KEY, name text);
CREATE TABLE author (id int PRIMARY KEY, name text, country_id int REFERENCES country (id));
CREATE TABLE post (id int PRIMARY KEY, title text, author_id int REFERENCES author (id));
CREATE TABLE tag (id int PRIMARY KEY, name text);
CREATE TABLE post_tags (
    id serial PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    tag_id int NOT NULL REFERENCES tag (id),
    UNIQUE (post_id, tag_id)
);
CREATE TABLE comment (
    id int PRIMARY KEY,
    post_id int REFERENCES post (id),
    parent_id int REFERENCES comment (id),
    body text
);
CREATE TABLE message (
    id int PRIMARY KEY,
    sender_id int REFERENCES author (id),
    recipient_id int REFERENCES author (id)
);
CREATE TABLE x (id int PRIMARY KEY);
INSERT INTO country VALUES (1, 'France');
INSERT INTO author VALUES (1, 'Ann', 1), (2, 'Bob', NULL);
INSERT INTO post VALUES (1, 'Hello', 1), (2, 'Second', 2), (3, 'Third', 2);
INSERT INTO tag VALUES (1, 'db');
INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1);
INSERT INTO comment VALUES (1, 1, NULL, 'first'), (2, 1, 1, 'reply');
INSERT INTO x VALUES (1);

-- fetch_json, reporting the SQLSTATE of its error before the error
CREATE FUNCTION fe(parent regclass, spec jsonb DEFAULT '{}') RETURNS SETOF json
LANGUAGE plpgsql AS $$
DECLARE
    state text;
BEGIN
    RETURN QUERY SELECT * FROM relprefetch.fetch_json(parent, spec);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
    RAISE NOTICE 'SQLSTATE %', state;
    RAISE;
END $$;
-- any statement, likewise
CREATE FUNCTION fe_sql(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    state text;
BEGIN
    EXECUTE sql;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
    RAISE NOTICE 'SQLSTATE %', state;
    RAISE;
END $$;
\set SHOW_CONTEXT never

--
-- the spec's shape: 22023
--
SELECT * FROM fe('post', '[]');
SELECT * FROM fe('post', '5');
SELECT * FROM fe('post', '"include"');
SELECT * FROM fe('post', 'null');
-- unknown keys, at the root and in an include
SELECT * FROM fe('post', '{"colums": ["id"]}');
SELECT * FROM fe('post', '{"path": "author"}');
SELECT * FROM fe('post', '{"via": "author_id"}');
SELECT * FROM fe('post', '{"include": {"author": {"limitt": 1}}}');
SELECT * FROM fe('post', '{"include": {"comment": {"offset": 1}}}');
SELECT * FROM fe('post', '{"include": {"author": {"include": {"country": {"Columns": []}}}}}');
-- wrong value types
SELECT * FROM fe('post', '{"columns": "id"}');
SELECT * FROM fe('post', '{"columns": {"id": true}}');
SELECT * FROM fe('post', '{"columns": ["id", 1]}');
SELECT * FROM fe('post', '{"columns": ["id", null]}');
SELECT * FROM fe('post', '{"columns": [["id"]]}');
SELECT * FROM fe('post', '{"where": true}');
SELECT * FROM fe('post', '{"where": ["id = 1"]}');
SELECT * FROM fe('post', '{"order_by": 1}');
SELECT * FROM fe('post', '{"limit": "10"}');
SELECT * FROM fe('post', '{"limit": 1.5}');
SELECT * FROM fe('post', '{"limit": 1.0}');
SELECT * FROM fe('post', '{"limit": 1e30}');
SELECT * FROM fe('post', '{"offset": false}');
SELECT * FROM fe('post', '{"include": 5}');
SELECT * FROM fe('post', '{"include": "author"}');
SELECT * FROM fe('post', '{"include": ["author", 5]}');
SELECT * FROM fe('post', '{"include": [["author"]]}');
SELECT * FROM fe('post', '{"include": {"author": true}}');
SELECT * FROM fe('post', '{"include": {"author": ["country"]}}');
SELECT * FROM fe('post', '{"include": {"a": {"path": 5}}}');
SELECT * FROM fe('post', '{"include": {"comment": {"via": ["post_id"]}}}');
SELECT * FROM fe('post', '{"include": {"comment": {"limit": "all"}}}');
SELECT * FROM fe('post', '{"include": {"author": {"include": {"country": {"where": 1}}}}}');
-- a value that is a valid count: an integer written with an exponent
SELECT count(*) FROM fe('post', '{"limit": 2e0}');
SELECT count(*) FROM fe('post', '{"limit": 1E+1, "offset": 0.1e1}');

--
-- negative counts: 2201W for limit, 2201X for offset
--
SELECT * FROM fe('post', '{"limit": -1}');
SELECT * FROM fe('post', '{"offset": -1}');
SELECT * FROM fe('post', '{"include": {"comment": {"limit": -5}}}');
SELECT * FROM fe('post', '{"include": {"author": {"include": {"post": {"limit": -1}}}}}');
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_limit => -1)$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_limit => -2147483648)$$);

--
-- columns: 42703 unknown, 42701 listed twice
--
SELECT * FROM fe('post', '{"columns": ["id", "titel"]}');
SELECT * FROM fe('post', '{"columns": ["ctid"]}');
SELECT * FROM fe('post', '{"columns": ["ID"]}');
SELECT * FROM fe('post', '{"columns": [""]}');
SELECT * FROM fe('post', '{"include": {"author": {"columns": ["name", "nom"]}}}');
SELECT * FROM fe('post', '{"include": {"author": {"include": {"country": {"columns": ["code"]}}}}}');
SELECT * FROM fe('post', '{"columns": ["id", "title", "id"]}');
SELECT * FROM fe('post', '{"include": {"tags": {"columns": ["name", "name"]}}}');
-- a dropped column is unknown
ALTER TABLE x ADD COLUMN gone int;
ALTER TABLE x DROP COLUMN gone;
SELECT * FROM fe('x', '{"columns": ["gone"]}');

--
-- relationships: 42704 unknown or no via, 42P09 ambiguous, 22023 order_by
-- or limit where one row is given, 22023 two names for one key
--
SELECT * FROM fe('post', '{"include": ["autor"]}');
SELECT * FROM fe('comment', '{"include": ["replies"]}');
SELECT * FROM fe('country', '{"include": ["nothing"]}');
SELECT * FROM fe('x', '{"include": ["anything"]}');
SELECT * FROM fe('post', '{"include": ["author__contry"]}');
-- names are matched exactly
SELECT * FROM fe('post', '{"include": ["Author"]}');
SELECT * FROM fe('post', '{"include": ["public.author"]}');
-- a junction's name means its rows, as its foreign key's name does: the
-- two include them twice
SELECT count(*) FROM fe('post', '{"include": ["post_tags", "post_tags_post_id_fkey"]}');
-- the referenced table's name is not a name of a self-reference
SELECT * FROM fe('comment', '{"include": {"c": {"path": "comment", "via": "comment_post_id_fkey"}}}');
-- via fits none
SELECT * FROM fe('author', '{"include": {"m": {"path": "message", "via": "author_id"}}}');
SELECT * FROM fe('post', '{"include": {"tags": {"via": "tags"}}}');
-- ambiguous
SELECT * FROM fe('author', '{"include": ["message"]}');
SELECT * FROM fe('message', '{"include": ["author"]}');
SELECT * FROM fe('author', '{"include": {"post": {"include": {"author": {"include": ["message"]}}}}}');
-- a self-reference's constraint name means the replies (the column names the
-- referenced row)
SELECT * FROM fe('comment', '{"include": ["comment_parent_id_fkey"]}');
SELECT * FROM fe('comment', '{"include": {"c": {"path": "comment_parent_id_fkey", "via": "parent_id"}}}');
-- via that chooses
SELECT count(*) FROM fe('author', '{"include": {"m": {"path": "message", "via": "recipient_id"}}}');
-- order_by and limit on a relationship that gives one row
SELECT * FROM fe('post', '{"include": {"author": {"order_by": "name"}}}');
SELECT * FROM fe('post', '{"include": {"author": {"limit": 1}}}');
SELECT * FROM fe('comment', '{"include": {"parent": {"limit": 0}}}');
-- one output key for two relationships, an include given twice
SELECT * FROM fe('post', '{"include": {"author": {"path": "comment"}, "x": {"path": "author__country"}}}');
SELECT * FROM fe('post', '{"include": {"c": {"path": "author__country"}, "author": {"include": {"c": {"path": "country"}}}}}');
-- empty names in a path
SELECT * FROM fe('post', '{"include": ["author__"]}');
SELECT * FROM fe('post', '{"include": ["__author"]}');
SELECT * FROM fe('post', '{"include": ["author____country"]}');
SELECT * FROM fe('post', '{"include": [""]}');
SELECT * FROM fe('post', '{"include": {"": {}}}');
SELECT * FROM fe('post', '{"include": {"a": {"path": "author__"}}}');
-- a path of one underscore is a name like any other
SELECT * FROM fe('post', '{"include": ["author_"]}');

--
-- where and order_by fragments that are not exactly one expression or one
-- ORDER BY list: 42601; that write or lock rows: 0A000
--
-- refused by PostgreSQL's parser, parsing the fragment alone: the error
-- points into the fragment
\set SHOW_CONTEXT errors
SELECT * FROM fe('post', '{"where": "true) OR (true"}');
SELECT * FROM fe('post', '{"where": "unterminated ''string"}');
SELECT * FROM fe('post', '{"include": {"comment": {"order_by": "id) x, (id"}}}');
SELECT * FROM fe('post', '{"where": "; true"}');
SELECT * FROM fe('post', '{"where": "/* open comment"}');
SELECT * FROM fe('post', '{"where": "$$ open dollar quote"}');
SELECT * FROM fe('post', '{"where": "\"open identifier"}');
SELECT * FROM fe('post', '{"where": "true --\n) OR (true"}');
SELECT * FROM fe('post', '{"where": "true\n) OR (true"}');
SELECT * FROM fe('post', '{"where": ""}');
SELECT * FROM fe('post', '{"where": "   "}');
SELECT * FROM fe('post', '{"where": "-- only a comment"}');
SELECT * FROM fe('post', '{"include": {"comment": {"where": "true) --"}}}');
SELECT * FROM fe('post', '{"order_by": "id) x"}');
SELECT * FROM fe('post', '{"order_by": ""}');
SELECT * FROM fe('post', '{"include": {"comment": {"order_by": "id UNION SELECT 1"}}}');
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => '')$$);
\set SHOW_CONTEXT never
-- parsed, but more than one expression or list
SELECT * FROM fe('post', '{"where": "true; DROP TABLE x"}');
SELECT * FROM fe('post', '{"where": "true;"}');
SELECT * FROM fe('post', '{"where": "true; "}');
SELECT * FROM fe('post', '{"where": "true ORDER BY 1"}');
SELECT * FROM fe('post', '{"where": "true UNION SELECT 1"}');
SELECT * FROM fe('post', '{"where": "true LIMIT 1"}');
SELECT * FROM fe('post', '{"where": "true OFFSET 1"}');
SELECT * FROM fe('post', '{"where": "true GROUP BY 1"}');
SELECT * FROM fe('post', '{"where": "true HAVING true"}');
SELECT * FROM fe('post', '{"where": "true WINDOW w AS ()"}');
SELECT * FROM fe('post', '{"where": "true FOR UPDATE"}');
SELECT * FROM fe('post', '{"order_by": "id; select 1"}');
SELECT * FROM fe('post', '{"order_by": "id;"}');
SELECT * FROM fe('post', '{"order_by": "id LIMIT 1"}');
SELECT * FROM fe('post', '{"order_by": "id FETCH FIRST 1 ROW ONLY"}');
SELECT * FROM fe('post', '{"order_by": "id FOR UPDATE"}');
-- writing or locking, anywhere
SELECT * FROM fe('post', '{"where": "(SELECT count(*) FROM x FOR UPDATE) > 0"}');
SELECT * FROM fe('post', '{"where": "EXISTS (SELECT 1 FROM x FOR SHARE)"}');
SELECT * FROM fe('post', '{"where": "id IN (WITH d AS (DELETE FROM x RETURNING id) SELECT id FROM d)"}');
SELECT * FROM fe('post', '{"where": "id IN (WITH i AS (INSERT INTO x VALUES (5) RETURNING id) SELECT id FROM i)"}');
SELECT * FROM fe('post', '{"where": "EXISTS (SELECT 1 FROM (SELECT 1) s WHERE id IN (WITH u AS (UPDATE x SET id = id RETURNING id) SELECT id FROM u))"}');
SELECT * FROM fe('post', '{"include": {"comment": {"where": "id = ANY (ARRAY(WITH d AS (DELETE FROM x RETURNING id) SELECT id FROM d))"}}}');
SELECT * FROM fe('post', '{"order_by": "(WITH d AS (DELETE FROM x RETURNING id) SELECT max(id) FROM d)"}');
SELECT * FROM fe('post', '{"order_by": "(SELECT max(id) FROM x FOR KEY SHARE)"}');
SELECT count(*) AS x_untouched FROM x;
-- fetch_children's fragments
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => 'true; DROP TABLE x')$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_where => 'true LIMIT 1')$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id; SELECT 1')$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_where => 'id IN (WITH d AS (DELETE FROM x RETURNING id) SELECT id FROM d)')$$);
-- what is one expression works: a comment ends at its newline, a
-- semicolon or a parenthesis inside a string is only text
SELECT * FROM fe('post', '{"columns": ["id"], "where": "id = 1 --"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "id = 1 -- ) OR (true"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "title <> '';) OR (true; DROP TABLE x'' AND id = 1"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "id = 1 /* ) OR (true */"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "$q$ ; $q$ <> title AND id < 3", "order_by": "id -- last"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "(((id = 1)))"}');

--
-- errors from PostgreSQL in a fragment: a where that is not boolean, an
-- unknown column or function, a parameter, an error at run time
--
SELECT * FROM fe('post', '{"where": "id"}');
SELECT * FROM fe('post', '{"where": "nope = 1"}');
SELECT * FROM fe('post', '{"order_by": "nope"}');
-- (the primary message only: PostgreSQL 19 words the lookup's hint anew)
\set VERBOSITY terse
SELECT * FROM fe('post', '{"where": "no_such_function(id)"}');
\set VERBOSITY default
SELECT * FROM fe('post', '{"include": {"comment": {"where": "post_id = title"}}}');
SELECT * FROM fe('post', '{"where": "id = $1"}');
SELECT * FROM fe('post', '{"include": {"comment": {"where": "post_id = ANY ($1)"}}}');
SELECT * FROM fe('post', '{"where": "1 / (id - 2) > 0"}');
SELECT * FROM fe('post', '{"where": "sum(id) > 0"}');
SELECT * FROM fe('post', '{"order_by": "row_number() OVER (ORDER BY id DESC)"}');

--
-- nesting: at most 8 levels, at most 32 includes in one object: 54001
--
SELECT count(*) AS eight_levels
FROM fe('comment', '{"include": ["parent__parent__parent__parent__parent__parent__parent__parent"]}');
SELECT * FROM fe('comment', '{"include": ["parent__parent__parent__parent__parent__parent__parent__parent__parent"]}');
SELECT * FROM fe('comment', jsonb_build_object('include', jsonb_build_object('p', jsonb_build_object('path', 'parent__parent__parent__parent', 'include', jsonb_build_array('parent__parent__parent__parent__parent')))));
SELECT * FROM fe('comment', '{"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {"include": {"parent": {}}}}}}}}}}}}}}}}}}}');
SELECT count(*) AS thirty_two_includes
FROM fe('post', (SELECT jsonb_build_object('include', jsonb_object_agg('a' || g, '{"path": "author", "columns": ["id"]}'::jsonb))
                 FROM generate_series(1, 32) g));
SELECT * FROM fe('post', (SELECT jsonb_build_object('include', jsonb_object_agg('a' || g, '{"path": "author", "columns": ["id"]}'::jsonb))
                          FROM generate_series(1, 33) g));
SELECT * FROM fe('post', (SELECT jsonb_build_object('include', jsonb_agg('author__' || g))
                          FROM generate_series(1, 33) g));

--
-- fetch_children: types that are not a table's row type (42804), tables
-- no foreign key relates (42704)
--
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::record, NULL::comment[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::int, NULL::comment[])$$);
CREATE TYPE pair AS (a int, b int);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::pair, NULL::comment[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::pair[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::int[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(ROW(1, 'a'), NULL::comment[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, ARRAY[ROW(1)])$$);
-- children that is not an array: no such function
-- (the primary message only: PostgreSQL 19 words the lookup's hint anew)
\set VERBOSITY terse
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment)$$);
\set VERBOSITY default
-- no relationship, or only a forward one
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::tag[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::author[])$$);
-- a view with DISTINCT has no relationships (only simple views have them)
CREATE VIEW post_view AS SELECT DISTINCT * FROM post;
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::post_view, NULL::comment[])$$);
-- ambiguous, and a via that fits none
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::message[])$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::message[], via => 'author')$$);
SELECT fe_sql($$SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::message[], via => 'sender')$$);

--
-- the relation: 42P01 when its OID does not exist, 42809 when it is not a
-- table, view or materialized view
--
SELECT * FROM fe(4000000000::oid::regclass);
SELECT * FROM fe(0::regclass);
CREATE SEQUENCE seq;
SELECT * FROM fe('seq');
SELECT * FROM fe('post_pkey');
SELECT * FROM fe('pair');
SELECT * FROM fe('post', '{"include": ["no_such_table"]}');
-- a key type without a hash function
CREATE TABLE price (amount money PRIMARY KEY);
CREATE TABLE sale (id int PRIMARY KEY, amount money REFERENCES price);
SELECT * FROM fe('sale', '{"include": ["price"]}');

-- after all these errors, calls work, the same ones again included
SELECT * FROM fe('post', '{"columns": ["id"], "order_by": "id", "limit": 1, "include": {"author": {"columns": ["name"]}, "comment": {"columns": ["id"], "order_by": "id"}}}');
SELECT * FROM fe('post', '{"where": "1 / (id - 2) > 0"}');
SELECT * FROM fe('post', '{"columns": ["id"], "where": "1 / (id - 4) < 0", "order_by": "id"}');
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::comment[]);

SET client_min_messages = warning;
DROP SCHEMA fe CASCADE;
RESET client_min_messages;
RESET search_path;

-- checks added with the fixes of the first review
CREATE TABLE fe_a (id int PRIMARY KEY, name text);
CREATE TABLE fe_b (id int PRIMARY KEY, a_id int REFERENCES fe_a);
-- an include whose key is also a rendered column
SELECT relprefetch.fetch_json('fe_b', '{"include": ["a_id"]}');
-- fine when the column is not rendered, or under another key
SELECT relprefetch.fetch_json('fe_b', '{"columns": ["id"], "include": ["a_id"]}');
SELECT relprefetch.fetch_json('fe_b', '{"include": {"a": {"path": "a_id"}}}');
-- ORDER BY a position would sort by our own columns
SELECT relprefetch.fetch_json('fe_a', '{"order_by": "1"}');
SELECT relprefetch.fetch_json('fe_a', '{"include": {"fe_b": {"order_by": "id, 2 DESC"}}}');
-- integral numbers in any spelling; out of range
SELECT relprefetch.fetch_json('fe_a', '{"limit": 2.0}');
SELECT relprefetch.fetch_json('fe_a', '{"limit": 1e2}');
SELECT relprefetch.fetch_json('fe_a', '{"limit": 1e30}');
DROP TABLE fe_b, fe_a;
