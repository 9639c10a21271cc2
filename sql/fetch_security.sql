--
-- fetch_security: the caller's rights apply to every table a fetch reads
-- (table and column privileges, row-level security, the junction
-- included), and search_path changes nothing but the caller's own
-- fragments
--
CREATE SCHEMA fs;
SET search_path = fs, public;

CREATE TABLE country (id int PRIMARY KEY, name text);
CREATE TABLE author (id int PRIMARY KEY, name text, email text, country_id int REFERENCES country (id));
CREATE TABLE post (id int PRIMARY KEY, title text, author_id int REFERENCES author (id), secret text);
CREATE TABLE tag (id int PRIMARY KEY, name text);
CREATE TABLE post_tags (
    id serial PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    tag_id int NOT NULL REFERENCES tag (id),
    UNIQUE (post_id, tag_id)
);
CREATE TABLE comment (
    id int PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    body text,
    visible bool NOT NULL,
    owner name
);
CREATE INDEX ON comment (post_id);
INSERT INTO country VALUES (1, 'France'), (2, 'Japan');
INSERT INTO author SELECT g, 'author ' || g, 'a' || g || '@example.org', 1 + g % 2 FROM generate_series(1, 4) g;
INSERT INTO post SELECT g, 'post ' || g, 1 + g % 4, 'secret ' || g FROM generate_series(1, 20) g;
INSERT INTO tag SELECT g, 'tag ' || g FROM generate_series(1, 12) g;
INSERT INTO post_tags (post_id, tag_id) SELECT p, 1 + (p + k) % 12 FROM generate_series(1, 20) p, generate_series(0, 2) k;
INSERT INTO comment
    SELECT g, 1 + g % 20, 'comment ' || g, g % 3 <> 0,
           CASE WHEN g % 5 = 0 THEN 'regress_fs_reader' END
    FROM generate_series(1, 60) g;
ANALYZE country, author, post, tag, post_tags, comment;

-- both functions run as the caller
SELECT proname, prosecdef FROM pg_proc
WHERE pronamespace = 'relprefetch'::regnamespace AND proname LIKE 'fetch%' ORDER BY proname;

CREATE ROLE regress_fs_reader;
CREATE ROLE regress_fs_other;
CREATE ROLE regress_fs_outsider;
GRANT USAGE ON SCHEMA fs TO regress_fs_reader, regress_fs_other;
GRANT SELECT ON post TO regress_fs_reader;

--
-- table privileges: every table read, the junction included
--
SET ROLE regress_fs_reader;
SELECT count(*) FROM relprefetch.fetch_json('post', '{"columns": ["id"]}');
SELECT * FROM relprefetch.fetch_json('post', '{"include": ["author"]}');
SELECT * FROM relprefetch.fetch_json('post', '{"include": ["comment"]}');
SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[]);
RESET ROLE;
GRANT SELECT ON author, tag TO regress_fs_reader;
SET ROLE regress_fs_reader;
SELECT count(*) FROM relprefetch.fetch_json('post', '{"include": ["author"]}');
-- the targets may be read, the junction may not
SELECT * FROM relprefetch.fetch_json('post', '{"include": ["tags"]}');
SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::tag[]);
-- nor the table behind a nested include
SELECT * FROM relprefetch.fetch_json('post', '{"include": ["author__country"]}');
-- nor a table that only filters (inner) or sorts ("order") the rows
SELECT * FROM relprefetch.fetch_json('post', '{"include": {"author": {"inner": true, "include": {"country": {"inner": true}}}}}');
SELECT * FROM relprefetch.fetch_json('post', '{"order": "author__country.name"}');
RESET ROLE;
GRANT SELECT ON post_tags TO regress_fs_reader;
SET ROLE regress_fs_reader;
SELECT count(*), sum(json_array_length(j->'tags')) AS tags FROM relprefetch.fetch_json('post', '{"include": ["tags"]}') j;
RESET ROLE;
-- no USAGE on the schema: the table cannot be reached, even by its OID
GRANT SELECT ON post TO regress_fs_outsider;
SELECT 'post'::regclass::oid AS post_oid \gset
SET ROLE regress_fs_outsider;
SELECT * FROM relprefetch.fetch_json(:post_oid);
RESET ROLE;

--
-- column privileges
--
REVOKE SELECT ON post, author FROM regress_fs_reader;
GRANT SELECT (id, title) ON post TO regress_fs_reader;
GRANT SELECT (id, name) ON author TO regress_fs_reader;
SET ROLE regress_fs_reader;
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id", "title"], "where": "id <= 2", "order_by": "id"}');
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["title", "id"], "order_by": "title", "limit": 1}');
-- every column, one more column, a column in where or order_by
SELECT * FROM relprefetch.fetch_json('post');
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id", "secret"]}');
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "secret IS NOT NULL"}');
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "author_id"}');
-- an include keyed by a column that may not be read
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "include": {"author": {"columns": ["id", "name"]}}}');
-- from the other side: the related rows' columns, and their key
SELECT * FROM relprefetch.fetch_json('author', '{"columns": ["id", "name"], "order_by": "id", "limit": 2}');
SELECT * FROM relprefetch.fetch_json('author', '{"columns": ["id"], "include": {"post": {"columns": ["id", "title"]}}}');
-- fetch_children reads whole rows
SELECT * FROM relprefetch.fetch_children(NULL::author, NULL::post[]);
RESET ROLE;
GRANT SELECT (author_id) ON post TO regress_fs_reader;
SET ROLE regress_fs_reader;
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 3", "order_by": "id", "include": {"author": {"columns": ["id", "name"]}}}');
SELECT * FROM relprefetch.fetch_json('author', '{"columns": ["id"], "where": "id <= 2", "order_by": "id", "include": {"post": {"columns": ["id", "title"], "order_by": "id"}}}');
SELECT * FROM relprefetch.fetch_json('post', '{"columns": ["id"], "include": {"author": {"columns": ["id", "email"]}}}');
RESET ROLE;
GRANT SELECT ON post, author TO regress_fs_reader;

--
-- row-level security: only the rows the caller sees, for both forms of
-- the queries (by key, whole table)
--
GRANT SELECT ON comment TO regress_fs_reader, regress_fs_other;
GRANT SELECT ON post, post_tags, tag TO regress_fs_other;
ALTER TABLE comment ENABLE ROW LEVEL SECURITY;
CREATE POLICY comment_visible ON comment FOR SELECT USING (visible OR owner = current_user);
-- what each role sees, by plain SQL
CREATE FUNCTION fs_seen() RETURNS TABLE (post int, comments int[]) LANGUAGE sql AS $$
    SELECT p.id, coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}')
    FROM post p LEFT JOIN comment c ON c.post_id = p.id GROUP BY p.id
$$;
-- what fetch_json and fetch_children give
CREATE FUNCTION fs_fetched() RETURNS TABLE (post int, "json" int[], children int[]) LANGUAGE sql AS $$
    SELECT (j->>'id')::int,
           ARRAY(SELECT (c->>'id')::int FROM json_array_elements(j->'comment') c),
           (SELECT ARRAY(SELECT c.id FROM unnest(t.children) c)
            FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
            WHERE (t.parent).id = (j->>'id')::int)
    FROM relprefetch.fetch_json('post', '{"columns": ["id"], "include": {"comment": {"columns": ["id"], "order_by": "id"}}}') j
$$;
CREATE FUNCTION fs_check() RETURNS TABLE (posts bigint, comments bigint, json_differ bigint, children_differ bigint)
LANGUAGE sql AS $$
    SELECT count(*), sum(cardinality(s.comments)),
           count(*) FILTER (WHERE f.json IS DISTINCT FROM s.comments),
           count(*) FILTER (WHERE f.children IS DISTINCT FROM s.comments)
    FROM fs_seen() s FULL JOIN fs_fetched() f USING (post)
$$;
SET ROLE regress_fs_reader;
SELECT * FROM fs_check();
SELECT * FROM fs_seen() WHERE post IN (1, 5, 10) ORDER BY post;
-- one post at a time: looked up by key
SET relprefetch.fetch_batch_size = 1;
SELECT * FROM fs_check();
RESET relprefetch.fetch_batch_size;
RESET ROLE;
-- another role sees other rows, the table's owner all of them: the cached
-- plans do not carry one role's rows to another
SET ROLE regress_fs_other;
SELECT * FROM fs_check();
RESET ROLE;
SELECT * FROM fs_check();
SET ROLE regress_fs_reader;
SELECT * FROM fs_check();
RESET ROLE;
-- an inner include sees the rows the caller sees
SET ROLE regress_fs_reader;
SELECT (SELECT count(*) FROM relprefetch.fetch_json('post', '{"include": {"comment": {"inner": true, "where": "owner IS NOT NULL"}}}')) AS fetched,
       (SELECT count(DISTINCT post_id) FROM comment WHERE owner IS NOT NULL) AS plain;
RESET ROLE;
-- a policy that changes is followed
ALTER POLICY comment_visible ON comment USING (visible AND id <= 30);
SET ROLE regress_fs_reader;
SELECT * FROM fs_check();
RESET ROLE;
ALTER POLICY comment_visible ON comment USING (visible OR owner = current_user);
-- row-level security on the junction
ALTER TABLE post_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY no_tag_3 ON post_tags FOR SELECT USING (tag_id <> 3);
CREATE FUNCTION fs_tags_check() RETURNS TABLE (posts bigint, differ bigint, with_tag_3 bigint)
LANGUAGE sql AS $$
    SELECT count(*),
           count(*) FILTER (WHERE ARRAY(SELECT (x->>'id')::int FROM json_array_elements(j->'tags') x) IS DISTINCT FROM
                                  ARRAY(SELECT pt.tag_id FROM post_tags pt WHERE pt.post_id = (j->>'id')::int ORDER BY pt.tag_id)),
           count(*) FILTER (WHERE EXISTS (SELECT FROM json_array_elements(j->'tags') x WHERE x->>'id' = '3'))
    FROM relprefetch.fetch_json('post', '{"columns": ["id"], "include": {"tags": {"columns": ["id"], "order_by": "id"}}}') j
$$;
SET ROLE regress_fs_reader;
SELECT * FROM fs_tags_check();
SELECT count(*) AS children_with_tag_3
FROM relprefetch.fetch_children(NULL::post, NULL::tag[]) t
WHERE EXISTS (SELECT FROM unnest(t.children) c WHERE c.id = 3);
RESET ROLE;
SELECT * FROM fs_tags_check();
-- and on the parent table
ALTER TABLE post ENABLE ROW LEVEL SECURITY;
CREATE POLICY even_posts ON post FOR SELECT USING (id % 2 = 0);
SET ROLE regress_fs_reader;
SELECT count(*) AS posts, min((j->>'id')::int) AS first FROM relprefetch.fetch_json('post', '{"columns": ["id"]}') j;
SELECT count(*) AS parents FROM relprefetch.fetch_children(NULL::post, NULL::comment[]);
-- the rows an include may return through a forward key: none it may not see
SELECT j FROM relprefetch.fetch_json('comment', '{"columns": ["id"], "where": "id <= 4", "order_by": "id", "include": {"post": {"columns": ["id"]}}}') j;
RESET ROLE;
ALTER TABLE post DISABLE ROW LEVEL SECURITY;
ALTER TABLE post_tags DISABLE ROW LEVEL SECURITY;
ALTER TABLE comment DISABLE ROW LEVEL SECURITY;

--
-- search_path: what relprefetch writes is schema-qualified
--
CREATE TABLE fs_expected AS
    SELECT n, j::text FROM relprefetch.fetch_json('fs.post', '{"order_by": "id", "include": {"author": {"include": ["country"]}, "comment": {"order_by": "id"}, "tags": {"order_by": "id"}}}') WITH ORDINALITY f(j, n);
CREATE VIEW fs_same AS
    SELECT count(*) AS rows, count(*) FILTER (WHERE e.j IS DISTINCT FROM f.j::text) AS differ
    FROM fs.fs_expected e FULL JOIN
         relprefetch.fetch_json('fs.post', '{"order_by": "id", "include": {"author": {"include": ["country"]}, "comment": {"order_by": "id"}, "tags": {"order_by": "id"}}}') WITH ORDINALITY f(j, n)
         USING (n);
-- and with the keys that add SQL of their own: inner, order, spread, aliases
CREATE TABLE fs_expected_spec AS
    SELECT n, j::text FROM relprefetch.fetch_json('fs.post', '{"columns": [{"n": "id"}], "order": "author__country.name desc, id", "include": [{"author": {"inner": true, "spread": true, "columns": [{"by": "name"}], "where": "id <> 2"}}, {"tags": {"inner": true, "columns": ["id"], "order": "id desc"}}, {"comment": {"inner": true, "columns": ["id"], "order": "post.title, id"}}]}') WITH ORDINALITY f(j, n);
CREATE VIEW fs_same_spec AS
    SELECT count(*) AS rows, count(*) FILTER (WHERE e.j IS DISTINCT FROM f.j::text) AS differ
    FROM fs.fs_expected_spec e FULL JOIN
         relprefetch.fetch_json('fs.post', '{"columns": [{"n": "id"}], "order": "author__country.name desc, id", "include": [{"author": {"inner": true, "spread": true, "columns": [{"by": "name"}], "where": "id <> 2"}}, {"tags": {"inner": true, "columns": ["id"], "order": "id desc"}}, {"comment": {"inner": true, "columns": ["id"], "order": "post.title, id"}}]}') WITH ORDINALITY f(j, n)
         USING (n);
-- an empty search_path, pg_catalog only
SET search_path = '';
SELECT * FROM fs.fs_same;
SELECT * FROM fs.fs_same_spec;
SET relprefetch.fetch_batch_size = 1;
SELECT * FROM fs.fs_same;
RESET relprefetch.fetch_batch_size;
SET search_path = pg_catalog;
SELECT * FROM fs.fs_same;
SELECT count(*) FROM relprefetch.fetch_children(NULL::fs.post, NULL::fs.comment[]);
-- a schema that shadows the equality operator, the tables and functions
CREATE SCHEMA fs_evil;
CREATE FUNCTION fs_evil.never(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE FUNCTION fs_evil.never(bigint, bigint) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE OPERATOR fs_evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = fs_evil.never);
CREATE OPERATOR fs_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = fs_evil.never);
CREATE FUNCTION fs_evil.count(int) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION fs_evil.array_agg(int) RETURNS int[] LANGUAGE sql AS 'SELECT ARRAY[]::int[]';
CREATE TABLE fs_evil.comment (id int, post_id int, body text, visible bool, owner name);
CREATE TABLE fs_evil.post (id int, title text, author_id int, secret text);
SET search_path = fs_evil, pg_catalog, fs;
SELECT 1 = 1 AS shadowed_equality;
SELECT * FROM fs.fs_same;
SELECT * FROM fs.fs_same_spec;
SET relprefetch.fetch_batch_size = 1;
SELECT * FROM fs.fs_same;
SELECT count(*) AS parents, sum(cardinality(children)) AS children
FROM relprefetch.fetch_children(NULL::fs.post, NULL::fs.comment[]);
RESET relprefetch.fetch_batch_size;
-- the caller's fragments are read with the caller's search_path
SELECT j FROM relprefetch.fetch_json('fs.post', '{"columns": ["id"], "where": "id = 1", "order_by": "id"}') j;
SET search_path = pg_catalog, fs;
SELECT j FROM relprefetch.fetch_json('fs.post', '{"columns": ["id"], "where": "id = 1", "order_by": "id"}') j;
-- a function in a fragment, unqualified: the caller's search_path finds it,
-- and a change of search_path finds another one with the same spec
CREATE SCHEMA fs_a;
CREATE SCHEMA fs_b;
CREATE FUNCTION fs_a.pick(int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = 1';
CREATE FUNCTION fs_b.pick(int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = 2';
SET search_path = fs_a, fs;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "pick(id)", "include": {"comment": {"columns": ["id"], "where": "pick(id % 5)", "order_by": "id"}}}') j;
SET search_path = fs_b, fs;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "pick(id)", "include": {"comment": {"columns": ["id"], "where": "pick(id % 5)", "order_by": "id"}}}') j;
SELECT (t.parent).id, ARRAY(SELECT c.id FROM unnest(t.children) c) AS comments
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => 'pick(id)', child_where => 'pick(id % 5)', child_order_by => 'id') t;
SET search_path = fs;
-- (the primary message only: PostgreSQL 19 words the lookup's hint anew)
\set VERBOSITY terse
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "pick(id)"}') j;
\set VERBOSITY default
SET search_path = fs, fs_a;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "pick(id)"}') j;
-- a quoted schema and table name
CREATE SCHEMA "Fs Q";
CREATE TABLE "Fs Q"."Parent ""P""" (id int PRIMARY KEY, "Name" text);
CREATE TABLE "Fs Q"."child;c" (id int PRIMARY KEY, "parent id" int REFERENCES "Fs Q"."Parent ""P""");
INSERT INTO "Fs Q"."Parent ""P""" VALUES (1, 'one'), (2, 'two');
INSERT INTO "Fs Q"."child;c" VALUES (10, 1), (11, 1), (12, NULL);
SET search_path = pg_catalog;
SELECT j FROM relprefetch.fetch_json('"Fs Q"."Parent ""P"""', '{"order_by": "\"Name\"", "include": {"child;c": {"order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('"Fs Q"."child;c"', '{"order_by": "id", "include": {"by \"column\"": {"path": "parent id"}, "Fs Q.Parent \"P\"": {}}}') j;
-- quoted names in "order", inner, spread and aliases: names, never SQL
SELECT j FROM relprefetch.fetch_json('"Fs Q"."child;c"', '{"columns": [{"\"); DROP SCHEMA fs; --": "id"}], "order": "\"parent id\".\"Name\" desc, id desc", "include": [{"Fs Q.Parent \"P\"": {"inner": true, "spread": true, "columns": [{"x\"y": "Name"}]}}]}') j;
SELECT j FROM relprefetch.fetch_json('"Fs Q"."Parent ""P"""', '{"columns": ["Name"], "order": "Name", "include": [{"child;c": {"inner": true, "columns": [{"Name": "id"}], "order": "\"Fs Q\".\"Parent \"\"P\"\"\".\"Name\", id desc"}}]}') j;
SET search_path = fs, public;

-- in a read-only transaction
BEGIN READ ONLY;
SELECT count(*) FROM relprefetch.fetch_json('post', '{"include": ["author", "comment", "tags"]}');
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::tag[]);
COMMIT;

SET client_min_messages = warning;
DROP SCHEMA fs, fs_evil, fs_a, fs_b, "Fs Q" CASCADE;
RESET client_min_messages;
DROP ROLE regress_fs_reader;
DROP ROLE regress_fs_other;
DROP ROLE regress_fs_outsider;
RESET search_path;
