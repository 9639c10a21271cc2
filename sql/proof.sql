--
-- proof: with relprefetch.require_proof, a repeat is recorded only when
-- its key values came from rows the unit of work read; each proof path,
-- and the near misses that prove nothing
--
-- the built-in default is on (regress.conf turns it off for the other
-- suites, which test the counting itself)
SELECT boot_val FROM pg_settings WHERE name = 'relprefetch.require_proof';
RESET relprefetch.require_proof;
SET relprefetch.require_proof = on;
CREATE SCHEMA pr;
CREATE TABLE pr.country (id int PRIMARY KEY, name text);
CREATE TABLE pr.author (id int PRIMARY KEY, name text,
                        country_id int REFERENCES pr.country);
CREATE TABLE pr.post (id int PRIMARY KEY, title text,
                      author_id int REFERENCES pr.author);
CREATE TABLE pr.comment (id int PRIMARY KEY, body text,
                         post_id int REFERENCES pr.post,
                         approved boolean DEFAULT true);
CREATE TABLE pr.audit (post_id int, note text);
CREATE TABLE pr.tag (id int PRIMARY KEY, name text);
CREATE TABLE pr.post_tag (post_id int REFERENCES pr.post,
                          tag_id int REFERENCES pr.tag,
                          PRIMARY KEY (post_id, tag_id));
INSERT INTO pr.country VALUES (1, 'c1'), (2, 'c2'), (3, 'c3');
INSERT INTO pr.author SELECT a, 'a' || a, a % 3 + 1 FROM generate_series(1, 6) a;
-- author_id in post order: 3, 1, 4, 1, 6, 2
INSERT INTO pr.post VALUES (1, 'p1', 3), (2, 'p2', 1), (3, 'p3', 4),
                           (4, 'p4', 1), (5, 'p5', 6), (6, 'p6', 2);
INSERT INTO pr.comment SELECT c, 'b' || c, (c - 1) / 2 + 1 FROM generate_series(1, 12) c;
INSERT INTO pr.tag VALUES (1, 't1'), (2, 't2');
INSERT INTO pr.post_tag SELECT p, p % 2 + 1 FROM generate_series(1, 6) p;

CREATE VIEW pr_stats AS
SELECT query, calls, source_query, relation, foreign_key, proof
FROM relprefetch.stats ORDER BY query COLLATE "C";
CREATE FUNCTION pr_unproven() RETURNS bigint
LANGUAGE sql AS 'SELECT unproven FROM relprefetch.info';

-- 1. Simple protocol: each author lookup takes its key from a post row
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
SELECT name FROM pr.author WHERE id = 2;
COMMIT;
\x on
SELECT * FROM pr_stats;
\x off
SELECT pr_unproven() AS unproven;

-- 2. Near miss: keys from the application (requests, pagination, polling)
-- are not in any row the unit read
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 2;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 5;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;
SELECT pr_unproven() AS unproven;

-- 3. Near miss: the same id again and again, though a row read holds it
-- (a pooled connection's "current user")
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 1;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;

-- 4. Near miss: the values are in the rows, but not in the order they
-- were read
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 2;
SELECT name FROM pr.author WHERE id = 6;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 3;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;

-- 5. EXECUTE: the arguments are the keys
SELECT relprefetch.reset() IS NOT NULL AS reset;
PREPARE pr_author(int) AS SELECT name FROM pr.author WHERE id = $1;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
EXECUTE pr_author(3);
EXECUTE pr_author(1);
EXECUTE pr_author(4);
EXECUTE pr_author(1);
EXECUTE pr_author(6);
COMMIT;
DEALLOCATE pr_author;
SELECT query, source_query, foreign_key, proof FROM pr_stats;

-- 6. Interleaved loops, author and comments per post: both from the posts
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT body FROM pr.comment WHERE post_id = 1;
SELECT name FROM pr.author WHERE id = 1;
SELECT body FROM pr.comment WHERE post_id = 2;
SELECT name FROM pr.author WHERE id = 4;
SELECT body FROM pr.comment WHERE post_id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT body FROM pr.comment WHERE post_id = 4;
SELECT name FROM pr.author WHERE id = 6;
SELECT body FROM pr.comment WHERE post_id = 5;
COMMIT;
SELECT query, source_query, foreign_key, proof FROM pr_stats;

-- 7. Nested: each post's author, then that author's country; the
-- countries are proven through the author lookups, a proven loop
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name, country_id FROM pr.author WHERE id = 3;
SELECT name FROM pr.country WHERE id = 1;
SELECT name, country_id FROM pr.author WHERE id = 1;
SELECT name FROM pr.country WHERE id = 2;
SELECT name, country_id FROM pr.author WHERE id = 4;
SELECT name FROM pr.country WHERE id = 2;
SELECT name, country_id FROM pr.author WHERE id = 1;
SELECT name FROM pr.country WHERE id = 2;
SELECT name, country_id FROM pr.author WHERE id = 6;
SELECT name FROM pr.country WHERE id = 1;
SELECT name, country_id FROM pr.author WHERE id = 2;
SELECT name FROM pr.country WHERE id = 3;
COMMIT;
SELECT query, source_query, foreign_key, proof FROM pr_stats;

-- 8. Near miss: a dependent lookup whose outer statement is not a loop
-- (each request's user, then that user's country)
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT name, country_id FROM pr.author WHERE id = 1;
SELECT name FROM pr.country WHERE id = 2;
SELECT name, country_id FROM pr.author WHERE id = 2;
SELECT name FROM pr.country WHERE id = 3;
SELECT name, country_id FROM pr.author WHERE id = 3;
SELECT name FROM pr.country WHERE id = 1;
SELECT name, country_id FROM pr.author WHERE id = 4;
SELECT name FROM pr.country WHERE id = 2;
SELECT name, country_id FROM pr.author WHERE id = 5;
SELECT name FROM pr.country WHERE id = 3;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;

-- 9. A cursor: the rows of each FETCH count as read
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
DECLARE pr_c CURSOR FOR SELECT id, author_id FROM pr.post ORDER BY id;
FETCH 3 FROM pr_c;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
FETCH 3 FROM pr_c;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT query, source_query, foreign_key, proof FROM pr_stats;

-- 10. PL/pgSQL with track = all: the rows of the FOR query count as read
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET relprefetch.track = 'all';
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT id, author_id FROM pr.post ORDER BY id LOOP
        PERFORM name FROM pr.author WHERE id = r.author_id;
    END LOOP;
END
$$;
RESET relprefetch.track;
SELECT query, source_query, foreign_key, proof FROM pr_stats;
-- its key compared with no column of a table: named by its place in the plan
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET relprefetch.track = 'all';
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT id, author_id FROM pr.post ORDER BY id LOOP
        PERFORM name FROM pr.author WHERE id + 0 = r.author_id;
    END LOOP;
END
$$;
RESET relprefetch.track;
SELECT query, proof FROM pr_stats;

-- 11. A write per row read
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id FROM pr.post ORDER BY id;
INSERT INTO pr.audit VALUES (1, 'seen');
INSERT INTO pr.audit VALUES (2, 'seen');
INSERT INTO pr.audit VALUES (3, 'seen');
INSERT INTO pr.audit VALUES (4, 'seen');
INSERT INTO pr.audit VALUES (5, 'seen');
COMMIT;
SELECT query, source_query, relation, proof FROM pr_stats;
SELECT suggestion FROM relprefetch.stats;

-- an update per row read, too
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
UPDATE pr.author SET name = name WHERE id = 3;
UPDATE pr.author SET name = name WHERE id = 1;
UPDATE pr.author SET name = name WHERE id = 4;
UPDATE pr.author SET name = name WHERE id = 1;
UPDATE pr.author SET name = name WHERE id = 6;
COMMIT;
SELECT query, relation, proof FROM pr_stats;
SELECT suggestion FROM relprefetch.stats;

-- but not an insert loop of the application's own data
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id FROM pr.post ORDER BY id;
INSERT INTO pr.audit VALUES (7, 'new');
INSERT INTO pr.audit VALUES (8, 'new');
INSERT INTO pr.audit VALUES (9, 'new');
INSERT INTO pr.audit VALUES (10, 'new');
INSERT INTO pr.audit VALUES (11, 'new');
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;

-- 11b. IN and ANY of one value: that value is the key
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id IN (3);
SELECT name FROM pr.author WHERE id IN (1);
SELECT name FROM pr.author WHERE id IN (4);
SELECT name FROM pr.author WHERE id IN (1);
SELECT name FROM pr.author WHERE id IN (6);
SELECT body FROM pr.comment WHERE post_id = ANY ('{1}');
SELECT body FROM pr.comment WHERE post_id = ANY ('{2}');
SELECT body FROM pr.comment WHERE post_id = ANY ('{3}');
SELECT body FROM pr.comment WHERE post_id = ANY (ARRAY[4]);
SELECT body FROM pr.comment WHERE post_id = ANY (ARRAY[5]);
COMMIT;
SELECT query, proof FROM pr_stats;

-- 11c. Many-to-many: each post's tags, the junction joined to its target
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT t.name FROM pr.tag t JOIN pr.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 1;
SELECT t.name FROM pr.tag t JOIN pr.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 2;
SELECT t.name FROM pr.tag t JOIN pr.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 3;
SELECT t.name FROM pr.tag t JOIN pr.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 4;
SELECT t.name FROM pr.tag t JOIN pr.post_tag pt ON pt.tag_id = t.id WHERE pt.post_id = 5;
COMMIT;
SELECT query, source_query, relation, foreign_key, proof FROM pr_stats;

-- 12. Statements that read only the catalogs, or no table, never count,
-- with or without proof
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET relprefetch.require_proof = off;
BEGIN;
SELECT relname FROM pg_class WHERE oid = 1259;
SELECT relname FROM pg_class WHERE oid = 1249;
SELECT relname FROM pg_class WHERE oid = 1255;
SELECT relname FROM pg_class WHERE oid = 1247;
SELECT relname FROM pg_class WHERE oid = 2604;
SELECT 1;
SELECT 1;
SELECT 1;
SELECT 1;
SELECT 1;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;

-- 13. require_proof = off: every repeat is recorded, as before 0.3.0, and
-- has no proof
BEGIN;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 2;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 5;
COMMIT;
SELECT query, proof IS NULL AS no_proof FROM pr_stats;

-- 14. The article's filter-after-prefetch pitfall: the comments were
-- prefetched, then filtered again per post.  The source is the posts query
-- (the earliest of the statements whose rows hold the keys), and the
-- suggestion carries the loop's own condition as child_where.
SET relprefetch.require_proof = on;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT id, body, post_id FROM pr.comment WHERE post_id IN (1, 2, 3, 4, 5, 6) ORDER BY id;
SELECT body FROM pr.comment WHERE post_id = 1 AND approved;
SELECT body FROM pr.comment WHERE post_id = 2 AND approved;
SELECT body FROM pr.comment WHERE post_id = 3 AND approved;
SELECT body FROM pr.comment WHERE post_id = 4 AND approved;
SELECT body FROM pr.comment WHERE post_id = 5 AND approved;
COMMIT;
\x on
SELECT query, source_query, proof, suggestion FROM relprefetch.stats;
\x off

-- a to-one lookup with a condition of its own: the include's "where"
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3 AND name <> '';
SELECT name FROM pr.author WHERE id = 1 AND name <> '';
SELECT name FROM pr.author WHERE id = 4 AND name <> '';
SELECT name FROM pr.author WHERE id = 1 AND name <> '';
SELECT name FROM pr.author WHERE id = 6 AND name <> '';
COMMIT;
SELECT suggestion FROM relprefetch.stats;

-- 15. Which columns of the rows read are kept: a table's key columns (of
-- an index or a foreign key), every column of a view, computed columns.
-- Near miss: the keys came from a column that is neither (a title, a
-- body), so nothing proves the loop.
CREATE TABLE pr.legacy (id int PRIMARY KEY, author_ref int);
INSERT INTO pr.legacy SELECT id, author_id FROM pr.post;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_ref FROM pr.legacy ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT count(*) AS recorded FROM relprefetch.stats;
-- once the column is indexed, its values are keys (the cache hears of it)
CREATE INDEX ON pr.legacy (author_ref);
BEGIN;
SELECT id, author_ref FROM pr.legacy ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT source_query, proof FROM relprefetch.stats;
-- a view's columns, and computed columns, are kept
CREATE VIEW pr.post_authors AS SELECT id, author_id FROM pr.post;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT author_id FROM pr.post_authors ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT source_query, proof FROM relprefetch.stats;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT author_id + 0 AS a FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT source_query, proof FROM relprefetch.stats;

-- 16. A loop recorded again adds to its entry; from another source it is
-- described again, and after a reset it is described afresh
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT units, calls, source_query FROM relprefetch.stats;
BEGIN;
SELECT author_id FROM pr.post WHERE id < 100 ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT units, calls, source_query FROM relprefetch.stats;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT author_id FROM pr.post WHERE id < 100 ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
SELECT units, calls, source_query, proof FROM relprefetch.stats;

-- 17. on_detect fires on proven loops only: a test suite fails on the
-- N+1, not on a page of requests that each look up their own user
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET relprefetch.on_detect = error;
BEGIN;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 2;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 5;
SELECT name FROM pr.author WHERE id = 6;
COMMIT;
BEGIN;
SELECT id, author_id FROM pr.post ORDER BY id;
SELECT name FROM pr.author WHERE id = 3;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 4;
SELECT name FROM pr.author WHERE id = 1;
SELECT name FROM pr.author WHERE id = 6;
ROLLBACK;
RESET relprefetch.on_detect;

RESET relprefetch.require_proof;
SELECT relprefetch.reset() IS NOT NULL AS reset;
DROP VIEW pr_stats;
DROP FUNCTION pr_unproven();
DROP SCHEMA pr CASCADE;
