--
-- fetch_json's spec language beyond columns, filters and paths: column
-- aliases, inner includes, includes in the order written, spread includes
-- (to-one and to-many), "order" by columns of to-one related rows; each
-- result checked against plain SQL computing the same thing, and every
-- error
--
CREATE SCHEMA fs;
SET search_path = fs, public;

CREATE TABLE country (id int PRIMARY KEY, name text NOT NULL, code text);
CREATE TABLE author (
    id int PRIMARY KEY,
    name text NOT NULL,
    country_id int REFERENCES country (id)
);
CREATE TABLE post (
    id int PRIMARY KEY,
    title text NOT NULL,
    author_id int REFERENCES author (id),
    published date
);
CREATE TABLE tag (
    id int PRIMARY KEY,
    name text NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE post_tags (
    post_id int NOT NULL REFERENCES post (id),
    tag_id int NOT NULL REFERENCES tag (id),
    PRIMARY KEY (post_id, tag_id)
);
CREATE TABLE comment (
    id int PRIMARY KEY,
    post_id int NOT NULL REFERENCES post (id),
    parent_id int REFERENCES comment (id),
    body text NOT NULL
);
-- a composite key, of another type than the referencing columns
CREATE TABLE region (
    country_code text,
    num bigint,
    label text,
    PRIMARY KEY (country_code, num)
);
CREATE TABLE office (
    id int PRIMARY KEY,
    country_code varchar(2),
    region_num int,
    FOREIGN KEY (country_code, region_num) REFERENCES region
);

INSERT INTO country VALUES (1, 'France', 'FR'), (2, 'Japan', 'JP'), (3, 'Chile', 'CL');
INSERT INTO author VALUES (1, 'Ann', 1), (2, 'Bob', 2), (3, 'Cid', NULL), (4, 'Dee', 3);
INSERT INTO post VALUES
    (1, 'Hello', 1, '2024-01-05'), (2, 'Second', 1, '2023-12-01'),
    (3, 'Tokyo', 2, '2024-02-01'), (4, 'Quiet', 3, '2024-03-01'),
    (5, 'Untagged', 2, NULL), (6, 'Lonely', NULL, '2024-01-20'),
    (7, 'Andes', 4, '2024-04-01');
INSERT INTO tag VALUES (1, 'db', true), (2, 'web', true), (3, 'old', false), (4, 'unused', true);
INSERT INTO post_tags VALUES (1, 1), (1, 2), (2, 3), (3, 1), (4, 3), (7, 2);
INSERT INTO comment VALUES
    (1, 1, NULL, 'first'), (2, 1, 1, 'reply'), (3, 3, NULL, 'nice'),
    (4, 4, NULL, 'hm'), (5, 7, NULL, 'wow'), (6, 7, 5, 'yes');
INSERT INTO region VALUES ('FR', 1, 'north'), ('FR', 2, 'south'), ('JP', 1, 'east');
INSERT INTO office VALUES (1, 'FR', 2), (2, 'JP', 1), (3, 'FR', NULL), (4, 'FR', 1);

-- compare: the rows of two queries of json, as jsonb, in order
CREATE FUNCTION same(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    x jsonb;
    y jsonb;
BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(j::jsonb ORDER BY n), ''[]'') FROM (SELECT j, row_number() OVER () AS n FROM (%s) q(j)) s', a) INTO x;
    EXECUTE format('SELECT coalesce(jsonb_agg(j::jsonb ORDER BY n), ''[]'') FROM (SELECT j, row_number() OVER () AS n FROM (%s) q(j)) s', b) INTO y;
    IF x IS DISTINCT FROM y THEN
        RAISE NOTICE 'fetch_json: %', x;
        RAISE NOTICE 'plain SQL:  %', y;
    END IF;
    RETURN x IS NOT DISTINCT FROM y;
END $$;

-- errors, with their SQLSTATE
CREATE FUNCTION fe(parent regclass, spec jsonb) RETURNS SETOF json
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM relprefetch.fetch_json(parent, spec);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'SQLSTATE %', SQLSTATE;
    RAISE;
END $$;

--
-- Column aliases: {"output key": "column"} in "columns"
--
SELECT relprefetch.fetch_json('post', '{"columns": ["id", {"headline": "title"}], "order_by": "id", "limit": 2}');
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": [{"post_id": "id"}, {"headline": "title"}, "published", {"again": "id"}], "order_by": "id"}')$a$,
  $b$SELECT json_build_object('post_id', id, 'headline', title, 'published', published, 'again', id) FROM post ORDER BY id$b$);
-- in includes too, at every level; an alias may be the name of another column
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"author": {"columns": [{"who": "name"}, {"id": "country_id"}], "include": {"country": {"columns": [{"country_name": "name"}]}}}, "comment": {"columns": [{"text": "body"}], "order_by": "id"}}}')$a$,
  $b$SELECT json_build_object('id', p.id,
       'author', (SELECT json_build_object('who', a.name, 'id', a.country_id,
                   'country', (SELECT json_build_object('country_name', c.name) FROM country c WHERE c.id = a.country_id))
                  FROM author a WHERE a.id = p.author_id),
       'comment', (SELECT coalesce(json_agg(json_build_object('text', c.body) ORDER BY c.id), '[]') FROM comment c WHERE c.post_id = p.id))
     FROM post p ORDER BY p.id$b$);
-- an alias is only an output key: any text, escaped as JSON
SELECT relprefetch.fetch_json('tag', '{"columns": [{"a \"quoted\"\\ key": "name"}, {"é/ü": "id"}, {"x'');DROP TABLE fs.tag;--": "active"}], "where": "id = 1"}');
SELECT count(*) FROM tag;
-- a column renamed to a key an include has
SELECT * FROM fe('post', '{"columns": [{"author": "title"}], "include": ["author"]}');
-- errors
SELECT * FROM fe('post', '{"columns": [{"a": "title", "b": "id"}]}');
SELECT * FROM fe('post', '{"columns": [{}]}');
SELECT * FROM fe('post', '{"columns": [{"": "title"}]}');
SELECT * FROM fe('post', '{"columns": [{"a": 1}]}');
SELECT * FROM fe('post', '{"columns": [{"a": null}]}');
SELECT * FROM fe('post', '{"columns": [{"a": "nope"}]}');
SELECT * FROM fe('post', '{"columns": [{"a": "id"}, {"a": "title"}]}');
SELECT * FROM fe('post', '{"columns": ["title", {"title": "id"}]}');
SELECT * FROM fe('post', '{"columns": ["id", "id"]}');
SELECT * FROM fe('post', '{"include": {"author": {"columns": [{"x": "name"}, {"x": "id"}]}}}');

--
-- Inner includes: only the parent rows with a related row that passes
-- the include's own conditions
--
-- posts whose author is from France (to-one)
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"author": {"inner": true, "where": "country_id = 1", "columns": ["name"]}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'author', json_build_object('name', a.name)) FROM post p JOIN author a ON a.id = p.author_id AND a.country_id = 1 ORDER BY p.id$b$);
-- posts with a comment (reverse), limit and offset after the filter
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id desc", "limit": 2, "offset": 1, "include": {"comment": {"inner": true, "columns": ["id"], "order_by": "id"}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'comment', (SELECT json_agg(json_build_object('id', c.id) ORDER BY c.id) FROM comment c WHERE c.post_id = p.id)) FROM post p WHERE EXISTS (SELECT FROM comment c WHERE c.post_id = p.id) ORDER BY p.id DESC LIMIT 2 OFFSET 1$b$);
-- posts with an active tag (many-to-many)
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"tag": {"inner": true, "where": "active", "columns": ["name"], "order_by": "name"}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'tag', (SELECT json_agg(json_build_object('name', t.name) ORDER BY t.name) FROM post_tags pt JOIN tag t ON t.id = pt.tag_id AND t.active WHERE pt.post_id = p.id)) FROM post p WHERE EXISTS (SELECT FROM post_tags pt JOIN tag t ON t.id = pt.tag_id AND t.active WHERE pt.post_id = p.id) ORDER BY p.id$b$);
-- nested: posts with a comment that has a reply, and only those comments
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"inner": true, "columns": ["id"], "order_by": "id", "include": {"replies": {"path": "comment", "inner": true, "columns": ["body"]}}}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'comment', (SELECT json_agg(json_build_object('id', c.id, 'replies', (SELECT json_agg(json_build_object('body', r.body)) FROM comment r WHERE r.parent_id = c.id)) ORDER BY c.id) FROM comment c WHERE c.post_id = p.id AND EXISTS (SELECT FROM comment r WHERE r.parent_id = c.id)))
     FROM post p WHERE EXISTS (SELECT FROM comment c WHERE c.post_id = p.id AND EXISTS (SELECT FROM comment r WHERE r.parent_id = c.id)) ORDER BY p.id$b$);
-- under an include that is not inner: only that include's rows are filtered
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id"], "order_by": "id", "include": {"replies": {"path": "comment", "inner": true, "columns": ["id"]}}}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'comment', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'replies', (SELECT json_agg(json_build_object('id', r.id)) FROM comment r WHERE r.parent_id = c.id)) ORDER BY c.id), '[]') FROM comment c WHERE c.post_id = p.id AND EXISTS (SELECT FROM comment r WHERE r.parent_id = c.id)))
     FROM post p ORDER BY p.id$b$);
-- nested through to-one: countries with an author who wrote a post in 2024
SELECT same(
  $a$SELECT relprefetch.fetch_json('country', '{"columns": ["name"], "order_by": "id", "include": {"author": {"inner": true, "columns": ["name"], "order_by": "id", "include": {"post": {"inner": true, "where": "published >= ''2024-01-01''", "columns": ["id"], "order_by": "id"}}}}}')$a$,
  $b$SELECT json_build_object('name', c.name, 'author', (SELECT json_agg(json_build_object('name', a.name, 'post', (SELECT json_agg(json_build_object('id', p.id) ORDER BY p.id) FROM post p WHERE p.author_id = a.id AND p.published >= '2024-01-01')) ORDER BY a.id) FROM author a WHERE a.country_id = c.id AND EXISTS (SELECT FROM post p WHERE p.author_id = a.id AND p.published >= '2024-01-01')))
     FROM country c WHERE EXISTS (SELECT FROM author a WHERE a.country_id = c.id AND EXISTS (SELECT FROM post p WHERE p.author_id = a.id AND p.published >= '2024-01-01')) ORDER BY c.id$b$);
-- a composite key of other types; inner false is the default
SELECT same(
  $a$SELECT relprefetch.fetch_json('office', '{"columns": ["id"], "order_by": "id", "include": {"region": {"inner": true, "where": "label <> ''north''", "columns": ["label"]}}}')$a$,
  $b$SELECT json_build_object('id', o.id, 'region', json_build_object('label', r.label)) FROM office o JOIN region r ON r.country_code = o.country_code AND r.num = o.region_num AND r.label <> 'north' ORDER BY o.id$b$);
SELECT count(*) FROM relprefetch.fetch_json('office', '{"include": {"region": {"inner": false}}}');
-- limit 0: no related row, so no parent row
SELECT count(*) FROM relprefetch.fetch_json('post', '{"include": {"comment": {"inner": true, "limit": 0}}}');
-- the include's where is its own: a name of the parent's columns alone fails
SELECT * FROM fe('post', '{"include": {"comment": {"inner": true, "where": "title = ''x''"}}}');
SELECT * FROM fe('post', '{"include": {"comment": {"inner": 1}}}');
SELECT * FROM fe('post', '{"inner": true}');

--
-- Includes in the order written: an array of paths and {"key": spec}
--
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": ["tag", {"comments": {"path": "comment", "columns": ["id"], "order_by": "id"}}, {"a": {"path": "author", "columns": ["name"]}}, "author__country"]}');
-- the object form, for comparison: keys in jsonb's order
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": {"tag": {"columns": ["id"]}, "comments": {"path": "comment", "columns": ["id"]}, "a": {"path": "author", "columns": ["name"]}}}');
SELECT * FROM fe('post', '{"include": [{"a": {}, "b": {}}]}');
SELECT * FROM fe('post', '{"include": [{}]}');
SELECT * FROM fe('post', '{"include": [{"": {"path": "author"}}]}');
SELECT * FROM fe('post', '{"include": [{"author": "country"}]}');
SELECT * FROM fe('post', '{"include": [{"author": {}}, {"author": {}}]}');
SELECT * FROM fe('post', '{"include": [{"author": {"path": "comment"}}, "author"]}');

--
-- Spread: a to-one include's keys in its parent's object
--
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id", "title"], "order_by": "id", "include": [{"author": {"spread": true, "columns": [{"author_name": "name"}], "include": [{"country": {"spread": true, "columns": [{"country": "name"}, "code"]}}]}}, {"comments": {"path": "comment", "columns": ["id"], "order_by": "id"}}]}')$a$,
  $b$SELECT json_build_object('id', p.id, 'title', p.title, 'author_name', a.name, 'country', c.name, 'code', c.code,
       'comments', (SELECT coalesce(json_agg(json_build_object('id', m.id) ORDER BY m.id), '[]') FROM comment m WHERE m.post_id = p.id))
     FROM post p LEFT JOIN author a ON a.id = p.author_id LEFT JOIN country c ON c.id = a.country_id ORDER BY p.id$b$);
-- with no related row: its columns null, its to-one includes null, its arrays empty
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 6", "include": [{"author": {"spread": true, "columns": ["name"], "include": ["country", {"posts": {"path": "post", "columns": ["id"]}}]}}]}');
-- spread with no columns, spread inside an include, spread and inner
SELECT relprefetch.fetch_json('comment', '{"columns": ["id"], "where": "id <= 2", "order_by": "id", "include": [{"post": {"spread": true, "columns": [], "include": [{"author": {"spread": true, "columns": [{"by": "name"}]}}]}}]}');
SELECT relprefetch.fetch_json('country', '{"columns": ["name"], "where": "id = 1", "include": {"author": {"columns": ["id"], "order_by": "id", "include": {"country": {"spread": true, "columns": [{"from": "code"}]}}}}}');
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"author": {"spread": true, "inner": true, "where": "name < ''C''", "columns": ["name"]}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'name', a.name) FROM post p JOIN author a ON a.id = p.author_id AND a.name < 'C' ORDER BY p.id$b$);
-- errors: a key twice (a to-many spread's too), not a boolean
SELECT * FROM fe('post', '{"include": {"comment": {"spread": true}}}');
SELECT * FROM fe('post', '{"include": {"tag": {"spread": true}}}');
SELECT * FROM fe('post', '{"columns": ["id"], "include": [{"comment": {"spread": true, "columns": ["body"], "include": [{"post": {"spread": true, "columns": [{"body": "title"}]}}]}}]}');
SELECT * FROM fe('post', '{"include": {"author": {"spread": true}}}');
SELECT * FROM fe('post', '{"columns": ["id"], "include": [{"author": {"spread": true, "columns": ["name"]}}, {"name": {"path": "comment"}}]}');
SELECT * FROM fe('post', '{"columns": ["id"], "include": [{"author": {"spread": true, "columns": ["name"], "include": [{"country": {"spread": true, "columns": ["name"]}}]}}]}');
SELECT * FROM fe('post', '{"include": {"author": {"spread": "yes"}}}');
SELECT * FROM fe('post', '{"spread": true}');

--
-- Spread of a to-many relationship (PostgREST's ...films(title) from
-- directors): each key of its rows' objects becomes a key of the parent
-- holding the array of their values for it, one per row in the include's
-- order (where, order_by and limit apply), [] without rows
--
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 5, 7)", "order_by": "id", "include": [{"comment": {"spread": true, "columns": [{"comment_ids": "id"}, {"bodies": "body"}], "order_by": "id"}}]}');
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": [{"comment": {"spread": true, "columns": [{"comment_ids": "id"}, {"bodies": "body"}], "where": "body <> ''hm''", "order_by": "id desc", "limit": 1}}]}')$a$,
  $b$SELECT json_build_object('id', p.id,
       'comment_ids', coalesce((SELECT json_agg(c.id ORDER BY c.id DESC) FROM (SELECT * FROM comment c WHERE c.post_id = p.id AND c.body <> 'hm' ORDER BY c.id DESC LIMIT 1) c), '[]'),
       'bodies', coalesce((SELECT json_agg(c.body ORDER BY c.id DESC) FROM (SELECT * FROM comment c WHERE c.post_id = p.id AND c.body <> 'hm' ORDER BY c.id DESC LIMIT 1) c), '[]'))
     FROM post p ORDER BY p.id$b$) AS spread_reverse;
-- many-to-many, with its limit; and in batches of two parent rows
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": [{"tag": {"spread": true, "columns": [{"tags": "name"}, "active"], "order_by": "name desc", "limit": 1}}]}')$a$,
  $b$SELECT json_build_object('id', p.id,
       'tags', coalesce((SELECT json_agg(t.name ORDER BY t.name DESC) FROM (SELECT t.* FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id ORDER BY t.name DESC LIMIT 1) t), '[]'),
       'active', coalesce((SELECT json_agg(t.active ORDER BY t.name DESC) FROM (SELECT t.* FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id ORDER BY t.name DESC LIMIT 1) t), '[]'))
     FROM post p ORDER BY p.id$b$) AS spread_many_to_many;
SET relprefetch.fetch_batch_size = 2;
SELECT same(
  $a$SELECT relprefetch.fetch_json('tag', '{"columns": ["name"], "order_by": "id", "include": [{"post": {"spread": true, "columns": [{"titles": "title"}], "order_by": "id"}}]}')$a$,
  $b$SELECT json_build_object('name', t.name,
       'titles', coalesce((SELECT json_agg(p.title ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id WHERE pt.tag_id = t.id), '[]'))
     FROM tag t ORDER BY t.id$b$) AS spread_in_batches;
RESET relprefetch.fetch_batch_size;
-- README's example
SELECT relprefetch.fetch_json('tag', '{"columns": ["name"], "where": "id = 1", "include": [{"post": {"spread": true, "columns": [{"titles": "title"}], "order_by": "id", "include": [{"comment": {"spread": true, "columns": [{"comment_ids": "id"}], "order_by": "id"}}]}}]}');
-- inside it: a to-one spread gives a value or null per row, a to-many
-- spread an array per row, an include its value per row (an object or
-- null, an array of objects)
SELECT relprefetch.fetch_json('tag', '{"columns": ["name"], "where": "id = 1", "include": [{"post": {"spread": true, "columns": [{"titles": "title"}], "order_by": "id", "include": [{"author": {"spread": true, "columns": [{"by": "name"}]}}, {"comment": {"spread": true, "columns": [{"comment_ids": "id"}], "order_by": "id"}}]}}]}');
SELECT same(
  $a$SELECT relprefetch.fetch_json('tag', '{"columns": ["name"], "order_by": "id", "include": [{"post": {"spread": true, "columns": [{"titles": "title"}], "order_by": "id", "include": [{"author": {"spread": true, "columns": [{"by": "name"}], "include": [{"country": {"spread": true, "columns": ["code"]}}]}}, {"comment": {"spread": true, "columns": [{"comment_ids": "id"}], "order_by": "id"}}, {"comments": {"path": "comment", "columns": ["body"], "order_by": "id"}}, {"writer": {"path": "author", "columns": ["id"]}}]}}]}')$a$,
  $b$SELECT json_build_object('name', t.name,
       'titles', coalesce((SELECT json_agg(p.title ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id WHERE pt.tag_id = t.id), '[]'),
       'by', coalesce((SELECT json_agg(a.name ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id LEFT JOIN author a ON a.id = p.author_id WHERE pt.tag_id = t.id), '[]'),
       'code', coalesce((SELECT json_agg(c.code ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id LEFT JOIN author a ON a.id = p.author_id LEFT JOIN country c ON c.id = a.country_id WHERE pt.tag_id = t.id), '[]'),
       'comment_ids', coalesce((SELECT json_agg((SELECT coalesce(json_agg(m.id ORDER BY m.id), '[]') FROM comment m WHERE m.post_id = p.id) ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id WHERE pt.tag_id = t.id), '[]'),
       'comments', coalesce((SELECT json_agg((SELECT coalesce(json_agg(json_build_object('body', m.body) ORDER BY m.id), '[]') FROM comment m WHERE m.post_id = p.id) ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id WHERE pt.tag_id = t.id), '[]'),
       'writer', coalesce((SELECT json_agg((SELECT json_build_object('id', a.id) FROM author a WHERE a.id = p.author_id) ORDER BY p.id) FROM post_tags pt JOIN post p ON p.id = pt.post_id WHERE pt.tag_id = t.id), '[]'))
     FROM tag t ORDER BY t.id$b$) AS spread_nested;
-- a to-many spread inside a to-one spread (its arrays empty without the
-- row), and with inner: only the parent rows with a row that passes
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": [{"author": {"spread": true, "columns": [], "include": [{"post": {"spread": true, "columns": [{"author_posts": "id"}], "order_by": "id"}}]}}]}')$a$,
  $b$SELECT json_build_object('id', p.id,
       'author_posts', coalesce((SELECT json_agg(q.id ORDER BY q.id) FROM post q WHERE q.author_id = p.author_id), '[]'))
     FROM post p ORDER BY p.id$b$) AS spread_in_spread;
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": [{"tag": {"spread": true, "inner": true, "where": "active", "columns": [{"tags": "name"}], "order_by": "name"}}]}')$a$,
  $b$SELECT json_build_object('id', p.id,
       'tags', (SELECT json_agg(t.name ORDER BY t.name) FROM post_tags pt JOIN tag t ON t.id = pt.tag_id AND t.active WHERE pt.post_id = p.id))
     FROM post p WHERE EXISTS (SELECT FROM post_tags pt JOIN tag t ON t.id = pt.tag_id AND t.active WHERE pt.post_id = p.id) ORDER BY p.id$b$) AS spread_inner;
-- no columns and no includes: no keys
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "include": [{"comment": {"spread": true, "columns": []}}]}');

--
-- "order": by the rows' columns and by columns of to-one related rows
--
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order": "author.name desc nulls last, id"}')$a$,
  $b$SELECT json_build_object('id', p.id) FROM post p LEFT JOIN author a ON a.id = p.author_id ORDER BY a.name DESC NULLS LAST, p.id$b$);
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order": ["author__country.name NULLS FIRST", "published DESC"], "limit": 5}')$a$,
  $b$SELECT json_build_object('id', p.id) FROM post p LEFT JOIN author a ON a.id = p.author_id LEFT JOIN country c ON c.id = a.country_id ORDER BY c.name NULLS FIRST, p.published DESC LIMIT 5$b$);
-- an include's rows, by a column of a related row; relationships by any of their names
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order": "id", "include": {"comment": {"columns": ["id"], "order": "parent.body nulls first, fs.post.title, post_id.id, id desc"}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'comment', (SELECT coalesce(json_agg(json_build_object('id', c.id) ORDER BY r.body NULLS FIRST, c.id DESC), '[]') FROM comment c LEFT JOIN comment r ON r.id = c.parent_id WHERE c.post_id = p.id)) FROM post p ORDER BY p.id$b$);
-- many-to-many targets, and a comment's rows by its post's author's country
SELECT same(
  $a$SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order": "id", "include": {"tag": {"columns": ["name"], "order": ["active", "name desc"]}}}')$a$,
  $b$SELECT json_build_object('id', p.id, 'tag', (SELECT coalesce(json_agg(json_build_object('name', t.name) ORDER BY t.active, t.name DESC), '[]') FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id)) FROM post p ORDER BY p.id$b$);
SELECT same(
  $a$SELECT relprefetch.fetch_json('comment', '{"columns": ["id"], "order": "post__author__country.code desc nulls first, id"}')$a$,
  $b$SELECT json_build_object('id', c.id) FROM comment c JOIN post p ON p.id = c.post_id LEFT JOIN author a ON a.id = p.author_id LEFT JOIN country k ON k.id = a.country_id ORDER BY k.code DESC NULLS FIRST, c.id$b$);
SELECT same(
  $a$SELECT relprefetch.fetch_json('office', '{"columns": ["id"], "order": "region.label desc, id"}')$a$,
  $b$SELECT json_build_object('id', o.id) FROM office o LEFT JOIN region r ON (r.country_code, r.num) = (o.country_code, o.region_num) ORDER BY r.label DESC, o.id$b$);
SELECT relprefetch.fetch_json('comment', '{"columns": ["id"], "order": "parent.body, post__author.name desc, id"}');
-- errors
SELECT * FROM fe('post', '{"order": "comment.body"}');
SELECT * FROM fe('post', '{"order": "tag.name"}');
SELECT * FROM fe('post', '{"order": "author.nope"}');
SELECT * FROM fe('post', '{"order": "nope"}');
SELECT * FROM fe('post', '{"order": "nobody.name"}');
SELECT * FROM fe('post', '{"order": "id up"}');
SELECT * FROM fe('post', '{"order": "id desc nulls"}');
SELECT * FROM fe('post', '{"order": "id asc desc"}');
SELECT * FROM fe('post', '{"order": "id,,title"}');
SELECT * FROM fe('post', '{"order": "author.__x.name"}');
SELECT * FROM fe('post', '{"order": "__author.name"}');
SELECT * FROM fe('post', '{"order": "author__.name"}');
SELECT * FROM fe('post', '{"order": "author."}');
SELECT * FROM fe('post', '{"order": "a b c d e f"}');
SELECT * FROM fe('post', '{"order": []}');
SELECT * FROM fe('post', '{"order": [1]}');
SELECT * FROM fe('post', '{"order": 1}');
SELECT * FROM fe('post', '{"order": "id", "order_by": "id"}');
SELECT * FROM fe('post', '{"include": {"author": {"order": "name"}}}');
-- names reach SQL quoted: a column whose name needs quotes, and one that is SQL
SELECT * FROM fe('post', '{"order": "id;DROP TABLE fs.tag"}');
SELECT * FROM fe('post', '{"order": "author.name)--"}');
ALTER TABLE author ADD COLUMN "Odd""Na;me)--" text;
UPDATE author SET "Odd""Na;me)--" = 'z' || id WHERE id <> 2;
SELECT relprefetch.fetch_json('post', '{"columns": ["id"], "order": ["author.\"Odd\"\"Na;me)--\" desc", "id"], "limit": 3}');
-- quoted names: any character, a comma or a dot too; "__" and "." inside are not separators
ALTER TABLE country RENAME TO "Land, of.x__y";
ALTER TABLE "Land, of.x__y" RENAME COLUMN name TO "the name";
SELECT same(
  $a$SELECT relprefetch.fetch_json('author', '{"columns": ["id"], "order": "\"Land, of.x__y\".\"the name\" desc nulls last, \"fs\".\"Land, of.x__y\".id, \"id\""}')$a$,
  $b$SELECT json_build_object('id', a.id) FROM author a LEFT JOIN "Land, of.x__y" c ON c.id = a.country_id ORDER BY c."the name" DESC NULLS LAST, a.id$b$);
SELECT * FROM fe('author', '{"order": "\"the name"}');
SELECT * FROM fe('author', '{"order": "\"\".id"}');
SELECT * FROM fe('author', '{"order": "country_id\"x\""}');
SELECT * FROM fe('author', '{"order": "country.\"the name\""}');
SELECT count(*) FROM tag;
-- a reverse one-to-one: spread, inner and "order" through it
CREATE TABLE profile (author_id int PRIMARY KEY REFERENCES author, bio text);
INSERT INTO profile VALUES (1, 'writes'), (2, 'reads'), (4, NULL);
SELECT same(
  $a$SELECT relprefetch.fetch_json('author', '{"columns": ["id"], "order": "profile.bio desc nulls last, id", "include": [{"profile": {"spread": true, "inner": true, "columns": ["bio"]}}]}')$a$,
  $b$SELECT json_build_object('id', a.id, 'bio', p.bio) FROM author a JOIN profile p ON p.author_id = a.id ORDER BY p.bio DESC NULLS LAST, a.id$b$);
-- columns with the names of the aliases relprefetch gives its subqueries' columns
CREATE TABLE odd ("?inner1?" int PRIMARY KEY, "?related1?" int REFERENCES author);
CREATE TABLE odd_child (id int PRIMARY KEY, odd int REFERENCES odd);
INSERT INTO odd VALUES (1, 1), (2, 2), (3, NULL);
INSERT INTO odd_child VALUES (1, 1), (2, 1), (3, 2);
SELECT same(
  $a$SELECT relprefetch.fetch_json('odd', '{"order": "?related1?.name desc", "include": {"odd_child": {"inner": true, "where": "id > 1", "columns": ["id"]}}}')$a$,
  $b$SELECT json_build_object('?inner1?', o."?inner1?", '?related1?', o."?related1?", 'odd_child', (SELECT json_agg(json_build_object('id', c.id)) FROM odd_child c WHERE c.odd = o."?inner1?" AND c.id > 1))
     FROM odd o LEFT JOIN author a ON a.id = o."?related1?" WHERE EXISTS (SELECT FROM odd_child c WHERE c.odd = o."?inner1?" AND c.id > 1) ORDER BY a.name DESC$b$);

DROP SCHEMA fs CASCADE;
