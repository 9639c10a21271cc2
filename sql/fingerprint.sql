--
-- fingerprint: statements that differ only in constants, parameter
-- values, whitespace, comments, keyword case or the length of a constant
-- list share one fingerprint; anything else does not.
--
BEGIN;
SELECT name FROM blog_author WHERE id = 1;
select   name from blog_author
  where id = 2;
SELECT name FROM blog_author WHERE id = 3 /* controller='posts' */;
SELECT name FROM blog_author -- trailing comment
  WHERE id = -4;
SELECT name FROM blog_author WHERE id=5;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- constants of every kind
BEGIN;
SELECT count(*) FROM blog_tag WHERE name = 'tag 1' AND id > 0.5;
SELECT count(*) FROM blog_tag WHERE name = E'tag \'2\'' AND id > 1e-3;
SELECT count(*) FROM blog_tag WHERE name = $$tag 3$$ AND id > -2;
SELECT count(*) FROM blog_tag WHERE name = $q$it's$q$ AND id > +7;
SELECT count(*) FROM blog_tag WHERE name = 'it''s' AND id > 42;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- IN lists, ARRAY constructors and array constants of any length are one
-- constant; "x IN (...)" is the same shape as "x = ANY (...)"
BEGIN;
SELECT count(*) FROM blog_post WHERE id IN (1);
SELECT count(*) FROM blog_post WHERE id IN (1, 2, 3);
SELECT count(*) FROM blog_post WHERE id IN (4, 5, 6, 7, 8, 9);
SELECT count(*) FROM blog_post WHERE id = ANY (ARRAY[1, 2]);
SELECT count(*) FROM blog_post WHERE id = ANY (ARRAY[3, 4, 5, 6]);
SELECT count(*) FROM blog_post WHERE id = ANY ('{1,2,3}');
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- these differ in shape: each has its own fingerprint
BEGIN;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE country_id = 1;
SELECT "name" FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 1 LIMIT 1;
SELECT name FROM blog_author WHERE id IN (1, (SELECT 2));
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- the statement texts a backend keeps (rp_fingerprint_cache.c): a text that
-- differs from a kept one only in its numbers and plain strings has its
-- shape without being lexed; anything else is lexed, and near misses are
-- told apart as the lexer tells them
BEGIN;
SELECT name FROM blog_author WHERE id = 1 AND name <> 'a';
SELECT name FROM blog_author WHERE id = 22 AND name <> 'bb';
SELECT name FROM blog_author WHERE id = 333 AND name <> '';
-- constants of other forms: the same shape
SELECT name FROM blog_author WHERE id = 4.5 AND name <> 'it''s';
SELECT name FROM blog_author WHERE id = 5e0 AND name <> E'c';
SELECT name FROM blog_author WHERE id = -6 AND name <> $$d$$;
-- one string that holds what looks like a second condition, and one that
-- holds what looks like a comment: the same shape
SELECT name FROM blog_author WHERE id = 7 AND name <> 'x'' AND name <> ''y';
SELECT name FROM blog_author WHERE id = 8 AND name <> '-- no comment';
-- a second condition, a cast: other shapes
SELECT name FROM blog_author WHERE id = 9 AND name <> 'x' AND name <> 'y';
SELECT name FROM blog_author WHERE id = 10 AND name <> 'z'::text;
SELECT name FROM blog_author WHERE id = 11 AND name <> 'z' AND name <> 'y';
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;
-- comments that change with every request (sqlcommenter's trace ids), in
-- kept texts too: one shape
BEGIN;
SELECT name FROM blog_country WHERE id = 1 /*traceparent='00-a1-01'*/;
SELECT name FROM blog_country WHERE id = 2 /*traceparent='00-b22-01'*/;
SELECT name FROM blog_country WHERE id = 3 /*traceparent='00-c333-01'*/ /* x */;
SELECT name FROM blog_country WHERE id = 4 -- a comment
;
SELECT name FROM blog_country WHERE id = 5 /* nested /* comment */ */;
SELECT name FROM blog_country WHERE id = 6;
SELECT /* here */ name FROM blog_country WHERE id = 7 /*traceparent='00-d-01'*/;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- prepared statements: every EXECUTE counts as the prepared statement, the
-- same shape as the statement sent with literals
PREPARE author_by_id (int) AS SELECT name FROM blog_author WHERE id = $1;
BEGIN;
EXECUTE author_by_id(1);
EXECUTE author_by_id(2);
SELECT name FROM blog_author WHERE id = 3;
EXECUTE author_by_id(4);
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;
-- an EXECUTE that fails before it runs leaves nothing behind
EXECUTE author_by_id('not a number');
DEALLOCATE author_by_id;
SELECT count(*) >= 0 AS still_working FROM blog_author WHERE id = 1;

-- a rule's extra statement is not counted as a second execution
CREATE TABLE audited (id int);
CREATE TABLE audit_log (id int);
CREATE RULE audited_log AS ON INSERT TO audited DO ALSO INSERT INTO audit_log VALUES (NEW.id);
BEGIN;
INSERT INTO audited VALUES (1);
INSERT INTO audited VALUES (2);
INSERT INTO audited VALUES (3);
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;
DROP TABLE audited, audit_log;

-- statements of a multi-statement string are part of the autocommit unit
-- around them, and a wrapped query counts with its own text
DISCARD ALL;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 2 \; SELECT name FROM blog_author WHERE id = 3;
-- (their output aside: EXPLAIN ANALYZE shows rows as 1.00 from PostgreSQL 18)
\o /dev/null
SELECT 'x' AS a FROM blog_country LIMIT 1 \; EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1 AS b FROM blog_country LIMIT 1 \; SELECT 'y' AS c FROM blog_country LIMIT 1;
\o
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";

-- several statements in one query string are counted one by one
BEGIN;
SELECT 1 AS a FROM blog_country LIMIT 1 \; SELECT 2 AS b FROM blog_country LIMIT 1 \; SELECT 3 AS c FROM blog_country LIMIT 1;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- EXPLAIN without ANALYZE runs nothing and counts nothing
BEGIN;
EXPLAIN (COSTS OFF) SELECT name FROM blog_author WHERE id = 1;
SELECT count(*) AS counted FROM rp_unit;
ROLLBACK;
