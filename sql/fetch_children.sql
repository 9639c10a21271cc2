--
-- fetch_children: each parent row with the typed array of its child rows,
-- through a reverse foreign key or a many-to-many junction; checked
-- against plain SQL
--
CREATE SCHEMA fc;
SET search_path = fc, public;

CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE post (
    id int PRIMARY KEY,
    title text NOT NULL,
    author_id int NOT NULL REFERENCES author (id)
);
CREATE TABLE tag (id int PRIMARY KEY, name text NOT NULL, active bool NOT NULL);
CREATE TABLE post_tags (
    id serial PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    tag_id int NOT NULL REFERENCES tag (id),
    UNIQUE (post_id, tag_id)
);
CREATE TABLE comment (
    id int PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    parent_id int REFERENCES comment (id),
    body text NOT NULL,
    score numeric
);
CREATE TABLE message (
    id int PRIMARY KEY,
    sender_id int NOT NULL REFERENCES author (id),
    recipient_id int REFERENCES author (id),
    body text
);
INSERT INTO author VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid');
INSERT INTO post VALUES (1, 'Hello', 1), (2, 'Second', 1), (3, 'Tokyo', 2), (4, 'Quiet', 3);
INSERT INTO tag VALUES (1, 'db', true), (2, 'web', true), (3, 'old', false), (4, 'unused', true);
INSERT INTO post_tags (post_id, tag_id) VALUES (1, 2), (1, 1), (1, 3), (2, 1), (3, 3), (3, 2);
INSERT INTO comment VALUES
    (1, 1, NULL, 'first', 1.5), (2, 1, 1, 'reply to first', NULL),
    (3, 1, 2, 'reply to the reply', 2), (4, 1, NULL, 'second', 0),
    (5, 3, NULL, 'nice', 3), (6, 2, NULL, 'meh', -1), (7, 3, 5, 'thanks', 1);
INSERT INTO message VALUES (1, 1, 2, 'hi Bob'), (2, 2, 1, 'hi Ann'), (3, 1, 3, 'hi Cid'), (4, 3, NULL, 'to nobody');

-- typed results: fields of the parent, the number of children, a field of
-- the first child
SELECT (t.parent).id, (t.parent).title, cardinality(t.children) AS n,
       (t.children[1]).body AS first_body, t.children IS NULL AS null_children
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
ORDER BY (t.parent).id;
SELECT pg_typeof(t.parent) AS parent_type, pg_typeof(t.children) AS children_type
FROM relprefetch.fetch_children(NULL::post, NULL::comment[]) t LIMIT 1;
-- whole rows
SELECT t.* FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
ORDER BY (t.parent).id;
-- a parent without children gets an empty array, and is there
SELECT t.children, t.children = '{}' AS empty, cardinality(t.children) AS n
FROM relprefetch.fetch_children(NULL::post, NULL::comment[]) t WHERE (t.parent).id = 4;
-- unnest
SELECT (t.parent).id AS post, c.id, c.body
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id DESC') t,
     unnest(t.children) c
ORDER BY (t.parent).id, c.id DESC;

-- the same as plain SQL
CREATE VIEW post_comments AS
    SELECT p AS parent, coalesce(array_agg(c ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS children
    FROM post p LEFT JOIN comment c ON c.post_id = p.id GROUP BY p;
SELECT count(*) AS rows,
       (SELECT count(*) FROM (SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id')
                              EXCEPT SELECT * FROM post_comments) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM post_comments
                              EXCEPT SELECT * FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id')) d) AS missing
FROM relprefetch.fetch_children(NULL::post, NULL::comment[]);
-- without an order, the same rows in some order
SELECT count(*) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::comment[]) t
JOIN post_comments e ON (e.parent).id = (t.parent).id
WHERE e.parent IS DISTINCT FROM t.parent
   OR ARRAY(SELECT c FROM unnest(t.children) c ORDER BY c.id) IS DISTINCT FROM e.children;

-- many-to-many through the junction
SELECT (t.parent).title, ARRAY(SELECT c.name FROM unnest(t.children) c) AS tags
FROM relprefetch.fetch_children(NULL::post, NULL::tag[], child_order_by => 'name') t
ORDER BY (t.parent).id;
SELECT (t.parent).name, ARRAY(SELECT c.title FROM unnest(t.children) c) AS posts
FROM relprefetch.fetch_children(NULL::tag, NULL::post[], child_order_by => 'id DESC') t
ORDER BY (t.parent).id;
SELECT count(*) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::tag[], child_order_by => 'id') t
WHERE t.children IS DISTINCT FROM
      ARRAY(SELECT tg FROM post_tags pt JOIN tag tg ON tg.id = pt.tag_id
            WHERE pt.post_id = (t.parent).id ORDER BY tg.id);
-- the junction's own rows, as a reverse foreign key
SELECT (t.parent).id, ARRAY(SELECT c.tag_id FROM unnest(t.children) c) AS tag_ids
FROM relprefetch.fetch_children(NULL::post, NULL::post_tags[], child_order_by => 'tag_id') t
ORDER BY (t.parent).id;

-- self-reference: the children are the replies
SELECT (t.parent).id, ARRAY(SELECT c.id FROM unnest(t.children) c) AS replies
FROM relprefetch.fetch_children(NULL::comment, NULL::comment[]) t
ORDER BY (t.parent).id;

-- parent_where, child_where, child_order_by, child_limit, by name
SELECT (t.parent).id, ARRAY(SELECT c.id FROM unnest(t.children) c) AS comments
FROM relprefetch.fetch_children(NULL::post, NULL::comment[],
                                parent_where => 'id <= 3',
                                child_where => 'parent_id IS NULL',
                                child_order_by => 'score DESC NULLS LAST, id',
                                child_limit => 1) t
ORDER BY (t.parent).id;
-- ... and by position
SELECT (t.parent).id, ARRAY(SELECT c.id FROM unnest(t.children) c) AS comments
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], NULL, 'title <> ''Quiet''',
                                'score IS NOT NULL', 'score', 2) t
ORDER BY (t.parent).id;
-- checked against plain SQL
SELECT count(*) AS rows, count(*) FILTER (WHERE t.children IS DISTINCT FROM
           ARRAY(SELECT c FROM comment c WHERE c.post_id = (t.parent).id AND c.body LIKE '%re%'
                 ORDER BY c.body DESC LIMIT 2)) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_where => 'body LIKE ''%re%''',
                                child_order_by => 'body DESC', child_limit => 2) t;
SELECT count(*) AS rows, count(*) FILTER (WHERE t.children IS DISTINCT FROM
           ARRAY(SELECT tg FROM post_tags pt JOIN tag tg ON tg.id = pt.tag_id
                 WHERE pt.post_id = (t.parent).id AND tg.active ORDER BY tg.name DESC LIMIT 1)) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::tag[], parent_where => 'author_id = 1', child_where => 'active',
                                child_order_by => 'name DESC', child_limit => 1) t;
-- child_limit 0: every parent, no children
SELECT (t.parent).id, t.children
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_limit => 0) t
ORDER BY (t.parent).id;
-- NULLs are as if not given
SELECT count(*) AS rows, sum(cardinality(children)) AS children
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], NULL, NULL, NULL, NULL, NULL);

-- via: two foreign keys from message to author
SELECT (t.parent).name,
       ARRAY(SELECT c.id FROM unnest(t.children) c) AS sent
FROM relprefetch.fetch_children(NULL::author, NULL::message[], via => 'sender_id', child_order_by => 'id') t
ORDER BY (t.parent).id;
SELECT (t.parent).name,
       ARRAY(SELECT c.id FROM unnest(t.children) c) AS received
FROM relprefetch.fetch_children(NULL::author, NULL::message[], via => 'message_recipient_id_fkey',
                                child_order_by => 'id') t
ORDER BY (t.parent).id;
SELECT count(*) AS differ
FROM relprefetch.fetch_children(NULL::author, NULL::message[], via => 'recipient', child_order_by => 'id') t
WHERE t.children IS DISTINCT FROM
      ARRAY(SELECT m FROM message m WHERE m.recipient_id = (t.parent).id ORDER BY m.id);

-- only the argument types matter
SELECT count(*) AS rows
FROM relprefetch.fetch_children((SELECT p FROM post p WHERE id = 1), ARRAY[(SELECT c FROM comment c WHERE id = 1)]);

-- a composite foreign key, and a partitioned child table
CREATE TABLE edition (book int, lang text, title text, PRIMARY KEY (book, lang));
CREATE TABLE review (
    id int, kind text, book int, lang text, stars int,
    PRIMARY KEY (id, kind),
    FOREIGN KEY (book, lang) REFERENCES edition
) PARTITION BY LIST (kind);
CREATE TABLE review_short PARTITION OF review FOR VALUES IN ('short');
CREATE TABLE review_long PARTITION OF review FOR VALUES IN ('long');
INSERT INTO edition VALUES (1, 'en', 'Dune'), (1, 'fr', 'Dune (fr)'), (2, 'en', 'Emma');
INSERT INTO review VALUES (1, 'short', 1, 'en', 5), (2, 'long', 1, 'fr', 4), (3, 'long', 1, 'en', 3),
                          (4, 'short', NULL, NULL, 1);
SELECT (t.parent).title, t.children
FROM relprefetch.fetch_children(NULL::edition, NULL::review[], child_order_by => 'id') t
ORDER BY (t.parent).book, (t.parent).lang;

-- a dropped column in both tables: the rows are still of the table's type
ALTER TABLE comment DROP COLUMN score;
ALTER TABLE post ADD COLUMN extra int DEFAULT 7;
SELECT (t.parent).*, (t.children[1]).*
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
ORDER BY (t.parent).id;

-- batches: the same result whatever the batch size
INSERT INTO author SELECT g, 'author ' || g FROM generate_series(10, 50) g;
INSERT INTO post SELECT g, 'post ' || g, 10 + g % 41 FROM generate_series(10, 300) g;
INSERT INTO comment SELECT g, 10 + g % 291, NULL, 'c' || g FROM generate_series(10, 800) g;
INSERT INTO tag SELECT g, 'tag ' || g, g % 3 > 0 FROM generate_series(10, 60) g;
INSERT INTO post_tags (post_id, tag_id) SELECT g, 10 + g % 51 FROM generate_series(10, 300) g;
ANALYZE author, post, comment, tag, post_tags;
CREATE TEMP TABLE fc_default AS
    SELECT 'comments' AS name, array_agg(t::text ORDER BY (t.parent).id) AS rows
    FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
    UNION ALL
    SELECT 'tags', array_agg(t::text ORDER BY (t.parent).id)
    FROM relprefetch.fetch_children(NULL::post, NULL::tag[], child_where => 'active',
                                    child_order_by => 'id', child_limit => 3) t
    UNION ALL
    SELECT 'posts', array_agg(t::text ORDER BY (t.parent).id)
    FROM relprefetch.fetch_children(NULL::author, NULL::post[], parent_where => 'id > 1',
                                    child_order_by => 'id DESC', child_limit => 2) t;
SELECT name, cardinality(rows) FROM fc_default ORDER BY name;
CREATE VIEW fc_now AS
    SELECT 'comments' AS name, array_agg(t::text ORDER BY (t.parent).id) AS rows
    FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t
    UNION ALL
    SELECT 'tags', array_agg(t::text ORDER BY (t.parent).id)
    FROM relprefetch.fetch_children(NULL::post, NULL::tag[], child_where => 'active',
                                    child_order_by => 'id', child_limit => 3) t
    UNION ALL
    SELECT 'posts', array_agg(t::text ORDER BY (t.parent).id)
    FROM relprefetch.fetch_children(NULL::author, NULL::post[], parent_where => 'id > 1',
                                    child_order_by => 'id DESC', child_limit => 2) t;
SET relprefetch.fetch_batch_size = 1;
SELECT name, d.rows = n.rows AS same FROM fc_default d JOIN fc_now n USING (name) ORDER BY name;
SET relprefetch.fetch_batch_size = 3;
SELECT name, d.rows = n.rows AS same FROM fc_default d JOIN fc_now n USING (name) ORDER BY name;
RESET relprefetch.fetch_batch_size;
-- and the same as plain SQL
SELECT count(*) AS rows, count(*) FILTER (WHERE t.children IS DISTINCT FROM
           ARRAY(SELECT c FROM comment c WHERE c.post_id = (t.parent).id ORDER BY c.id)) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::comment[], child_order_by => 'id') t;
SET relprefetch.fetch_batch_size = 5;
SELECT count(*) AS rows, count(*) FILTER (WHERE t.children IS DISTINCT FROM
           ARRAY(SELECT tg FROM post_tags pt JOIN tag tg ON tg.id = pt.tag_id
                 WHERE pt.post_id = (t.parent).id AND tg.active ORDER BY tg.id LIMIT 3)) AS differ
FROM relprefetch.fetch_children(NULL::post, NULL::tag[], child_where => 'active',
                                child_order_by => 'id', child_limit => 3) t;
RESET relprefetch.fetch_batch_size;

SET client_min_messages = warning;
DROP SCHEMA fc CASCADE;
RESET client_min_messages;
RESET search_path;
