--
-- fetch_cache: the plans a session keeps follow the catalog: columns added,
-- dropped, renamed or retyped, foreign keys dropped and added, tables
-- dropped and made again, renames, casts; and transactions rolled back
--
CREATE SCHEMA fk;
SET search_path = fk, public;

CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE post (id int PRIMARY KEY, title text, author_id int REFERENCES author (id));
CREATE TABLE comment (id int PRIMARY KEY, post_id int REFERENCES post (id), body text);
INSERT INTO author VALUES (1, 'Ann'), (2, 'Bob');
INSERT INTO post VALUES (1, 'Hello', 1), (2, 'Second', 2);
INSERT INTO comment VALUES (1, 1, 'first'), (2, 1, 'second'), (3, 2, 'third');

-- the same spec each time
CREATE FUNCTION fk_posts() RETURNS SETOF json LANGUAGE sql AS $$
    SELECT * FROM relprefetch.fetch_json('post', '{"order_by": "id", "include": {"author": {}, "comment": {"order_by": "id"}}}')
$$;
SELECT * FROM fk_posts();

-- a column added to the parent, then to an included table
ALTER TABLE post ADD COLUMN views int DEFAULT 0;
SELECT * FROM fk_posts();
ALTER TABLE comment ADD COLUMN likes int;
SELECT * FROM fk_posts();
-- and dropped
ALTER TABLE post DROP COLUMN views;
ALTER TABLE comment DROP COLUMN likes;
SELECT * FROM fk_posts();

-- a column's type changes: its rendering follows
ALTER TABLE author ALTER COLUMN name TYPE varchar(10);
ALTER TABLE post ALTER COLUMN title TYPE jsonb USING to_jsonb(title);
SELECT * FROM fk_posts();
ALTER TABLE post ALTER COLUMN title TYPE text USING title #>> '{}';
-- a key column's type: the foreign key now joins int to bigint
ALTER TABLE comment ALTER COLUMN post_id TYPE bigint;
SELECT * FROM fk_posts();
SELECT j FROM relprefetch.fetch_json('comment', '{"order_by": "id", "include": {"post": {"columns": ["title"]}}}') j;
ALTER TABLE comment ALTER COLUMN post_id TYPE int;

-- the foreign key dropped: the include is no relationship any more; added
-- again: it is
ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey;
SELECT * FROM fk_posts();
ALTER TABLE comment ADD CONSTRAINT comment_post_id_fkey FOREIGN KEY (post_id) REFERENCES post (id);
SELECT * FROM fk_posts();

-- a column of "columns" renamed: an unknown column; renamed back: fine
CREATE FUNCTION fk_titles() RETURNS SETOF json LANGUAGE sql AS $$
    SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id", "title"], "where": "title <> ''''", "order_by": "id"}')
$$;
SELECT * FROM fk_titles();
ALTER TABLE post RENAME COLUMN title TO headline;
SELECT * FROM fk_titles();
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id", "headline"], "where": "title <> ''''"}');
ALTER TABLE post RENAME COLUMN headline TO title;
SELECT * FROM fk_titles();

-- a renamed foreign key column: its names follow
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["author"]}') j;
ALTER TABLE post RENAME COLUMN author_id TO writer_id;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["author"]}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["writer"]}') j;
ALTER TABLE post RENAME COLUMN writer_id TO author_id;

-- a renamed constraint, table and schema: the names follow
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "comment_post_id_fkey", "columns": ["id"], "order_by": "id"}}}') j;
ALTER TABLE comment RENAME CONSTRAINT comment_post_id_fkey TO comment_of_post;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "comment_post_id_fkey", "columns": ["id"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "comment_of_post", "columns": ["id"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "fk.comment", "columns": ["id"], "order_by": "id"}}}') j;
ALTER TABLE comment RENAME TO remark;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "fk.comment", "columns": ["id"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "fk.remark", "columns": ["id"], "order_by": "id"}}}') j;
ALTER SCHEMA fk RENAME TO fk2;
SET search_path = fk2, public;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "fk.remark", "columns": ["id"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"c": {"path": "fk2.remark", "columns": ["id"], "order_by": "id"}}}') j;
SELECT * FROM relprefetch.fetch_json('post', '{"include": ["nothing"]}');
ALTER SCHEMA fk2 RENAME TO fk;
SET search_path = fk, public;
ALTER TABLE remark RENAME TO comment;
ALTER TABLE comment RENAME CONSTRAINT comment_of_post TO comment_post_id_fkey;
SELECT * FROM fk_posts();

-- a second foreign key to the same table: the name is ambiguous now
ALTER TABLE post ADD COLUMN editor_id int REFERENCES author (id);
UPDATE post SET editor_id = 2;
SELECT * FROM fk_posts();
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"author": {"via": "author_id", "columns": ["name"]}, "editor": {"columns": ["name"]}}}') j;
ALTER TABLE post DROP COLUMN editor_id;
SELECT * FROM fk_posts();

-- a table dropped and made again under the same name
SELECT j FROM relprefetch.fetch_json('author', '{"columns": ["name"], "order_by": "id", "include": {"post": {"columns": ["id"], "order_by": "id"}}}') j;
DROP TABLE comment;
CREATE TABLE comment (id int PRIMARY KEY, body text, post_id int REFERENCES post (id), stars int);
INSERT INTO comment VALUES (10, 'new', 2, 5);
SELECT * FROM fk_posts();
DROP TABLE comment;
SELECT * FROM fk_posts();
CREATE TABLE comment (id int PRIMARY KEY, post_id int REFERENCES post (id), body text);
INSERT INTO comment VALUES (1, 1, 'first'), (2, 1, 'second'), (3, 2, 'third');
SELECT * FROM fk_posts();
-- the parent itself dropped and made again
DROP TABLE author CASCADE;
CREATE TABLE author (id int PRIMARY KEY, name text, country text);
INSERT INTO author VALUES (1, 'Ann', 'FR'), (2, 'Bob', 'JP');
SELECT j FROM relprefetch.fetch_json('author', '{"order_by": "id"}') j;
SELECT * FROM fk_posts();
ALTER TABLE post ADD FOREIGN KEY (author_id) REFERENCES author (id);
SELECT * FROM fk_posts();

-- a table read only in a fragment
CREATE TABLE hidden (post_id int);
INSERT INTO hidden VALUES (2);
CREATE FUNCTION fk_visible() RETURNS SETOF json LANGUAGE sql AS $$
    SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id NOT IN (SELECT post_id FROM fk.hidden)", "order_by": "id"}')
$$;
SELECT * FROM fk_visible();
ALTER TABLE hidden ADD COLUMN why text;
INSERT INTO hidden VALUES (1, 'why not');
SELECT * FROM fk_visible();
DROP TABLE hidden;
SELECT * FROM fk_visible();
CREATE TABLE hidden (post_id int);
SELECT * FROM fk_visible();

-- a junction becomes one when its pair of foreign keys becomes a key
CREATE TABLE tag (id int PRIMARY KEY, name text);
CREATE TABLE post_tag (post_id int REFERENCES post (id), tag_id int REFERENCES tag (id));
INSERT INTO tag VALUES (1, 'db'), (2, 'web');
INSERT INTO post_tag VALUES (1, 1), (1, 2), (2, 2);
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"post_tag": {"order_by": "tag_id"}}}') j;
ALTER TABLE post_tag ADD PRIMARY KEY (post_id, tag_id);
-- the junction's name still means its rows; the target's, the tags now
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"post_tag": {"order_by": "tag_id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"tag": {"order_by": "id"}}}') j;
ALTER TABLE post_tag DROP CONSTRAINT post_tag_pkey;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"tag": {"order_by": "id"}}}') j;
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::post_tag[]);

-- a cast to json created, then dropped: the rendering follows
CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TABLE author ADD COLUMN mood mood DEFAULT 'happy';
CREATE FUNCTION mood_json(mood) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT json_build_object('mood', $1::text) $$;
SELECT j FROM relprefetch.fetch_json('author', '{"order_by": "id"}') j;
CREATE CAST (mood AS json) WITH FUNCTION mood_json(mood);
SELECT j, j::text = (SELECT to_json(a)::text FROM author a WHERE a.id = (j->>'id')::int) AS same
FROM relprefetch.fetch_json('author', '{"order_by": "id"}') j;
DROP CAST (mood AS json);
SELECT j FROM relprefetch.fetch_json('author', '{"order_by": "id"}') j;

--
-- transactions
--
-- DDL rolled back: the call after the rollback sees the table as it is
BEGIN;
ALTER TABLE post ADD COLUMN draft bool DEFAULT true;
SELECT * FROM fk_posts();
ROLLBACK;
SELECT * FROM fk_posts();
BEGIN;
ALTER TABLE comment DROP CONSTRAINT comment_post_id_fkey;
SELECT * FROM fk_posts();
ROLLBACK;
SELECT * FROM fk_posts();
BEGIN;
ALTER TABLE comment RENAME COLUMN body TO text;
SELECT * FROM fk_posts();
ROLLBACK;
SELECT * FROM fk_posts();
-- a table made in a transaction rolled back
BEGIN;
CREATE TABLE fleeting (id int PRIMARY KEY, post_id int REFERENCES post (id));
INSERT INTO fleeting VALUES (1, 1);
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["fleeting"]}') j;
ROLLBACK;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["fleeting"]}') j;
-- a call in a transaction rolled back, and an error in the middle of a call
BEGIN;
SELECT count(*) FROM fk_posts();
ROLLBACK;
SELECT count(*) FROM fk_posts();
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "1 / (2 - id) >= 0", "order_by": "id", "include": ["comment"]}');
SET relprefetch.fetch_batch_size = 1;
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "1 / (2 - id) >= 0", "order_by": "id", "include": ["comment"]}');
RESET relprefetch.fetch_batch_size;
BEGIN;
SAVEPOINT s;
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "1 / (2 - id) >= 0", "order_by": "id", "include": ["comment"]}');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM fk_posts();
ALTER TABLE post ADD COLUMN late int;
SELECT * FROM fk_posts();
ROLLBACK;
SELECT * FROM fk_posts();

-- a fetch in progress while its plan is invalidated: it runs on, and the
-- next call plans again
SET relprefetch.fetch_batch_size = 1;
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM relprefetch.fetch_json('author', '{"order_by": "id", "include": {"post": {"columns": ["id"], "order_by": "id"}}}');
FETCH 1 FROM c;
CREATE CAST (mood AS json) WITH FUNCTION mood_json(mood);
FETCH 1 FROM c;
FETCH 1 FROM c;
CLOSE c;
SELECT * FROM relprefetch.fetch_json('author', '{"order_by": "id", "include": {"post": {"columns": ["id"], "order_by": "id"}}}');
COMMIT;
-- a cursor held past its transaction's end
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id"], "order_by": "id"}}}');
FETCH 1 FROM h;
COMMIT;
ALTER TABLE comment ADD COLUMN extra int;
FETCH ALL FROM h;
CLOSE h;
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"order_by": "id"}}}');
-- the same with the function in the select list, so that it runs a batch
-- at a time as the cursor is read, with batches left: first read inside a
-- savepoint rolled back, then held past COMMIT (the parent rows must
-- outlive both, as they do in PostgreSQL's own cursors)
SET relprefetch.fetch_batch_size = 1;
BEGIN;
DECLARE c CURSOR FOR SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id"], "order_by": "id"}}}');
DECLARE d CURSOR FOR SELECT (relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id')).*;
SAVEPOINT s;
FETCH 1 FROM c;
FETCH 1 FROM d;
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT s;
FETCH ALL FROM c;
FETCH ALL FROM d;
COMMIT;
BEGIN;
DECLARE h CURSOR WITH HOLD FOR SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id"}');
FETCH 1 FROM h;
COMMIT;
FETCH ALL FROM h;
CLOSE h;
RESET relprefetch.fetch_batch_size;
-- a call that invalidates its own plan as it runs
CREATE FUNCTION fk_ddl(int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE fk.made_%s ()', $1);
    RETURN true;
END $$;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "fk.fk_ddl(id)", "order_by": "id", "include": {"comment": {"columns": ["id"], "order_by": "id"}}}') j;
RESET relprefetch.fetch_batch_size;
SELECT count(*) FROM pg_class WHERE relname LIKE 'made\_%' AND relnamespace = 'fk'::regnamespace;

-- a call that alters a table it reads so that a column changes type: the
-- include's query is analyzed again and returns other types than the fetch
-- planned for, which is an error (never a value read as another type)
CREATE FUNCTION fk_flip() RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE fk.comment DROP COLUMN body;
    ALTER TABLE fk.comment ADD COLUMN body point DEFAULT '(1,2)';
    RETURN true;
END $$;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "fk.fk_flip()", "order_by": "id", "include": {"comment": {"columns": ["id", "body"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "fk.fk_flip()", "order_by": "id", "include": {"comment": {"columns": ["id", "body"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id", "body"], "order_by": "id"}}}') j;

-- (a fragment read again when standard_conforming_strings changes: in
-- scs_off.sql, run only where the setting can be off)

-- more specs than the cache holds: the oldest are planned again
DO $$
BEGIN
    FOR i IN 1 .. 100 LOOP
        PERFORM count(*) FROM relprefetch.fetch_json('fk.post', jsonb_build_object('where', 'id <> ' || i));
    END LOOP;
END $$;
SELECT * FROM fk_posts();
SELECT count(*) FROM relprefetch.fetch_json('post', '{"where": "id <> 1"}');

SET client_min_messages = warning;
DROP SCHEMA fk CASCADE;
RESET client_min_messages;
RESET search_path;
