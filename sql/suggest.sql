--
-- suggest: a proven loop's suggested call reads the parent rows of its
-- source query (its conditions, order, limit and offset where they can be
-- written; where not, the suggestion says so), and running the call
-- itself (the suggested_call column) returns the rows the loop fetched
--
SET relprefetch.require_proof = on;
CREATE SCHEMA sg;
CREATE TABLE sg.country (id int PRIMARY KEY, name text);
CREATE TABLE sg.author (id int PRIMARY KEY, name text,
                        country_id int REFERENCES sg.country);
CREATE TABLE sg.post (id int PRIMARY KEY, title text,
                      author_id int REFERENCES sg.author);
CREATE TABLE sg.comment (id int PRIMARY KEY, body text,
                         post_id int REFERENCES sg.post,
                         approved boolean);
CREATE TABLE sg.tag (id int PRIMARY KEY, name text);
CREATE TABLE sg.post_tag (post_id int REFERENCES sg.post,
                          tag_id int REFERENCES sg.tag,
                          PRIMARY KEY (post_id, tag_id));
INSERT INTO sg.country VALUES (1, 'c1'), (2, 'c2'), (3, 'c3');
INSERT INTO sg.author SELECT a, 'a' || a, a % 3 + 1 FROM generate_series(1, 6) a;
-- author_id by post: 1:3 2:1 3:4 4:1 5:6 6:2 7:5 8:3; post 8 is 'draft 8'
INSERT INTO sg.post VALUES (1, 'p1', 3), (2, 'p2', 1), (3, 'p3', 4),
                           (4, 'p4', 1), (5, 'p5', 6), (6, 'p6', 2),
                           (7, 'p7', 5), (8, 'draft 8', 3);
-- two comments per post, the second of each approved
INSERT INTO sg.comment SELECT c, 'b' || c, (c - 1) / 2 + 1, c % 2 = 0
FROM generate_series(1, 16) c;
INSERT INTO sg.tag VALUES (1, 't1'), (2, 't2'), (3, 't3');
INSERT INTO sg.post_tag SELECT p, t FROM generate_series(1, 8) p,
  generate_series(1, 3) t WHERE (p + t) % 2 = 0;

-- the rows of a call, whatever it returns: one jsonb per row, in its order
CREATE FUNCTION sg_run(call text) RETURNS SETOF jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT to_jsonb(s) FROM (%s) s', call);
END
$$;
CREATE FUNCTION sg_call() RETURNS text
LANGUAGE sql AS 'SELECT suggested_call FROM relprefetch.stats';

-- 1. To-one, from a source with conditions, an order, a limit and an
-- offset: the posts 6, 5, 4, 3, 2, then each one's author
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM sg.post
WHERE title LIKE 'p%' AND id >= 2 ORDER BY id DESC LIMIT 5 OFFSET 1;
SELECT name FROM sg.author WHERE id = 2;
SELECT name FROM sg.author WHERE id = 6;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 4;
SELECT name FROM sg.author WHERE id = 1;
COMMIT;
\x on
SELECT suggestion, suggested_call FROM relprefetch.stats;
\x off
-- the call gives the loop's posts, in its order, each with its author
SELECT (j->'fetch_json'->>'id')::int AS post,
       j->'fetch_json'->'author'->>'name' AS author
FROM sg_run(sg_call()) j;
-- the authors the loop fetched, in its order
SELECT array_agg(j->'fetch_json'->'author'->>'name') =
       ARRAY['a2', 'a6', 'a1', 'a4', 'a1'] AS same_as_loop
FROM sg_run(sg_call()) j;

-- 2. Reverse, with the loop's own condition (child_where) and the
-- source's conditions (parent_where) and order (ORDER BY the parent)
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, title FROM sg.post WHERE author_id IN (1, 3, 4) AND title <> 'x' ORDER BY id;
SELECT body FROM sg.comment WHERE post_id = 1 AND approved;
SELECT body FROM sg.comment WHERE post_id = 2 AND approved;
SELECT body FROM sg.comment WHERE post_id = 3 AND approved;
SELECT body FROM sg.comment WHERE post_id = 4 AND approved;
SELECT body FROM sg.comment WHERE post_id = 8 AND approved;
COMMIT;
\x on
SELECT suggestion, suggested_call FROM relprefetch.stats;
\x off
SELECT (j->'parent'->>'id')::int AS post,
       (SELECT string_agg(c->>'body', ', ' ORDER BY (c->>'id')::int)
        FROM jsonb_array_elements(j->'children') c) AS approved_comments
FROM sg_run(sg_call()) j;
SELECT array_agg((SELECT string_agg(c->>'body', ', ')
                  FROM jsonb_array_elements(j->'children') c)) =
       ARRAY['b2', 'b4', 'b6', 'b8', 'b16'] AS same_as_loop
FROM sg_run(sg_call()) j;

-- 3. Many-to-many (the junction joined to its target), from a source with
-- a limit: fetch_json, which limits the parents before reading the tags
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT "id" FROM sg.post AS p WHERE p.id BETWEEN 2 AND 8 ORDER BY p.title, 1 LIMIT 5;
SELECT t.name FROM sg.tag t JOIN sg.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 8;
SELECT t.name FROM sg.tag t JOIN sg.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 2;
SELECT t.name FROM sg.tag t JOIN sg.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 3;
SELECT t.name FROM sg.tag t JOIN sg.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 4;
SELECT t.name FROM sg.tag t JOIN sg.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 5;
COMMIT;
\x on
SELECT suggestion, suggested_call FROM relprefetch.stats;
\x off
SELECT (j->'fetch_json'->>'id')::int AS post,
       (SELECT string_agg(t->>'name', ', ' ORDER BY t->>'name')
        FROM jsonb_array_elements(j->'fetch_json'->'tag') t) AS tags
FROM sg_run(sg_call()) j;
SELECT array_agg((SELECT string_agg(t->>'name', ', ' ORDER BY t->>'name')
                  FROM jsonb_array_elements(j->'fetch_json'->'tag') t)) =
       ARRAY['t2', 't2', 't1, t3', 't2', 't1, t3'] AS same_as_loop
FROM sg_run(sg_call()) j;

-- 4. A source whose condition is a parameter: its order is written, its
-- condition is not (no value is made up), and the suggestion says so
SELECT relprefetch.reset() IS NOT NULL AS reset;
PREPARE sg_posts(int) AS
  SELECT id, author_id FROM sg.post WHERE id <= $1 ORDER BY id;
BEGIN;
EXECUTE sg_posts(5);
SELECT name FROM sg.author WHERE id = 3;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 4;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 6;
COMMIT;
DEALLOCATE sg_posts;
\x on
SELECT suggestion, suggested_call FROM relprefetch.stats;
\x off

-- 5. A source that joins another table: its rows cannot be written as a
-- filter of the posts, and the suggestion says so
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT p.id, p.author_id FROM sg.post p JOIN sg.author a ON a.id = p.author_id
WHERE a.name <> '' ORDER BY p.id;
SELECT name FROM sg.author WHERE id = 3;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 4;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 6;
COMMIT;
SELECT suggestion FROM relprefetch.stats;

-- 6. The source's kept text is of an earlier unit, with other constants:
-- they are not this loop's, so none is written
SELECT relprefetch.reset() IS NOT NULL AS reset;
SELECT id, author_id FROM sg.post WHERE id >= 1 ORDER BY id;
SELECT relprefetch.end_unit();
BEGIN;
SELECT id, author_id FROM sg.post WHERE id >= 3 ORDER BY id;
SELECT name FROM sg.author WHERE id = 4;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 6;
SELECT name FROM sg.author WHERE id = 2;
SELECT name FROM sg.author WHERE id = 5;
COMMIT;
SELECT suggestion FROM relprefetch.stats;

-- (6b, a source whose text cannot be parsed again the way it ran, because
-- standard_conforming_strings changed in between: in scs_off.sql, run only
-- where the setting can be off)

-- 7. Nested: the country lookups' parent rows are those the author loop
-- read
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM sg.post ORDER BY id;
SELECT id, country_id FROM sg.author WHERE id = 3;
SELECT name FROM sg.country WHERE id = 1;
SELECT id, country_id FROM sg.author WHERE id = 1;
SELECT name FROM sg.country WHERE id = 2;
SELECT id, country_id FROM sg.author WHERE id = 4;
SELECT name FROM sg.country WHERE id = 2;
SELECT id, country_id FROM sg.author WHERE id = 1;
SELECT name FROM sg.country WHERE id = 2;
SELECT id, country_id FROM sg.author WHERE id = 6;
SELECT name FROM sg.country WHERE id = 1;
COMMIT;
SELECT query, suggestion FROM relprefetch.stats ORDER BY query COLLATE "C";

-- 8. Without proof the source is a guess: the call reads the whole table,
-- as before
SET relprefetch.require_proof = off;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM sg.post WHERE id >= 3 ORDER BY id;
SELECT name FROM sg.author WHERE id = 4;
SELECT name FROM sg.author WHERE id = 1;
SELECT name FROM sg.author WHERE id = 6;
SELECT name FROM sg.author WHERE id = 2;
SELECT name FROM sg.author WHERE id = 5;
COMMIT;
SELECT suggested_call FROM relprefetch.stats;

-- a write loop has no call to run
SET relprefetch.require_proof = on;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM sg.post ORDER BY id;
UPDATE sg.author SET name = name WHERE id = 3;
UPDATE sg.author SET name = name WHERE id = 1;
UPDATE sg.author SET name = name WHERE id = 4;
UPDATE sg.author SET name = name WHERE id = 1;
UPDATE sg.author SET name = name WHERE id = 6;
COMMIT;
SELECT suggested_call IS NULL AS no_call FROM relprefetch.stats;

RESET relprefetch.require_proof;
SELECT relprefetch.reset() IS NOT NULL AS reset;
DROP FUNCTION sg_call();
DROP FUNCTION sg_run(text);
DROP SCHEMA sg CASCADE;
