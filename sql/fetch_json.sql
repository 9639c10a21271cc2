--
-- fetch_json: every kind of relationship and every name it may be called
-- by, paths, the spec's keys at the root and per include, several foreign
-- keys to one table, composite and one-to-one keys, partitioned tables,
-- empty tables and NULL keys, batches; each result checked against plain
-- SQL computing the same thing
--
CREATE SCHEMA fj;
SET search_path = fj, public;

-- the article's blog schema, in miniature
CREATE TABLE country (id int PRIMARY KEY, name text NOT NULL, code text);
CREATE TABLE author (
    id int PRIMARY KEY,
    name text NOT NULL,
    country_id int REFERENCES country (id)
);
CREATE TABLE post (
    id int PRIMARY KEY,
    title text NOT NULL,
    author_id int NOT NULL REFERENCES author (id),
    published date
);
CREATE TABLE tag (
    id int PRIMARY KEY,
    name text NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true
);
-- as Django makes it: its own id, and a unique key on the pair
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
    body text NOT NULL
);
CREATE INDEX ON comment (post_id);

INSERT INTO country VALUES (1, 'France', 'FR'), (2, 'Japan', 'JP'), (3, 'Chile', 'CL');
INSERT INTO author VALUES (1, 'Ann', 1), (2, 'Bob', 2), (3, 'Cid', NULL), (4, 'Dee', 1);
INSERT INTO post VALUES
    (1, 'Hello', 1, '2024-01-05'), (2, 'Second', 1, '2023-12-01'),
    (3, 'Tokyo', 2, '2024-02-01'), (4, 'Quiet', 3, '2024-03-01'),
    (5, 'Untagged', 2, NULL), (6, 'Lonely', 3, '2024-01-20');
INSERT INTO tag VALUES (1, 'db', true), (2, 'web', true), (3, 'old', false), (4, 'unused', true);
INSERT INTO post_tags (post_id, tag_id) VALUES
    (1, 2), (1, 1), (1, 3), (2, 1), (3, 3), (3, 2), (4, 1), (6, 3);
INSERT INTO comment VALUES
    (1, 1, NULL, 'first'), (2, 1, 1, 'reply to first'),
    (3, 1, 2, 'reply to the reply'), (4, 1, NULL, 'second'),
    (5, 3, NULL, 'nice'), (6, 2, NULL, 'meh'), (7, 3, 5, 'thanks');
ANALYZE country, author, post, tag, post_tags, comment;

-- fetch_json's rows as jsonb, in its order
CREATE FUNCTION fj_got(parent regclass, spec jsonb) RETURNS jsonb[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(j::jsonb ORDER BY n), '{}')
    FROM relprefetch.fetch_json(parent, spec) WITH ORDINALITY f(j, n)
$$;
-- the same value with every array sorted: for includes without order_by
CREATE FUNCTION fj_norm(j jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(j) = 'object' THEN
        RETURN (SELECT coalesce(jsonb_object_agg(k, fj_norm(v)), '{}')
                FROM jsonb_each(j) e(k, v));
    ELSIF jsonb_typeof(j) = 'array' THEN
        RETURN (SELECT coalesce(jsonb_agg(n ORDER BY n), '[]')
                FROM (SELECT fj_norm(v) FROM jsonb_array_elements(j) e(v)) s(n));
    END IF;
    RETURN j;
END $$;
CREATE FUNCTION fj_norm(j jsonb[]) RETURNS jsonb[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(fj_norm(x) ORDER BY n), '{}')
    FROM unnest(j) WITH ORDINALITY u(x, n)
$$;
-- "same, N rows", or the first row that differs
CREATE FUNCTION fj_same(got jsonb[], want jsonb[]) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF got IS NOT DISTINCT FROM want THEN
        RETURN format('same, %s rows', cardinality(got));
    END IF;
    FOR i IN 1 .. greatest(cardinality(got), cardinality(want)) LOOP
        IF got[i] IS DISTINCT FROM want[i] THEN
            RETURN format('row %s differs: got %s, want %s', i, got[i], want[i]);
        END IF;
    END LOOP;
    RETURN 'differ';
END $$;

-- NULL arguments: no rows
SELECT count(*) FROM relprefetch.fetch_json(NULL, '{}');
SELECT count(*) FROM relprefetch.fetch_json('post', NULL);
-- the default spec: every row, every column
SELECT fj_same(ARRAY(SELECT x FROM unnest(fj_got('post', '{}')) x ORDER BY (x->>'id')::int),
               ARRAY(SELECT to_jsonb(p) FROM post p ORDER BY id)) AS all_rows;
SELECT j FROM relprefetch.fetch_json('post') j ORDER BY j->>'id';

--
-- the root's keys
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["title", "id"], "where": "published >= ''2024-01-01''", "order_by": "published DESC, id"}') j;
SELECT fj_same(fj_got('post', '{"where": "published >= ''2024-01-01''", "order_by": "published DESC, id"}'),
               ARRAY(SELECT to_jsonb(p) FROM post p WHERE published >= '2024-01-01'
                     ORDER BY published DESC, id)) AS root_where;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "limit": 2, "offset": 1}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id DESC", "limit": 2}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "offset": 4}') j;
SELECT count(*) AS limit_0 FROM relprefetch.fetch_json('post', '{"limit": 0}');
SELECT count(*) AS offset_past_end FROM relprefetch.fetch_json('post', '{"offset": 100}');
SELECT count(*) AS no_match FROM relprefetch.fetch_json('post', '{"where": "false"}');
-- null values are as if not given
SELECT fj_same(fj_got('post', '{"columns": null, "where": null, "order_by": "id", "limit": null, "offset": null, "include": null}'),
               ARRAY(SELECT to_jsonb(p) FROM post p ORDER BY id)) AS nulls;
-- expressions in where and order_by, with functions and a subquery
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id", "title"], "where": "lower(title) LIKE ''%o%'' AND id IN (SELECT post_id FROM fj.comment)", "order_by": "length(title), title COLLATE \"C\""}') j;
-- a comment at the end of a fragment ends at its newline
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1 -- the first", "order_by": "id -- by id"}') j;

--
-- forward: an object, or null
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["author"]}') j;
-- every name of the relationship gives the same object, under that name
-- (a key named like a column of the object is refused: "by_column" holds
-- the relationship named by its column)
SELECT fj_same(fj_got('post', '{"order_by": "id", "include": {"author": {}, "by_column": {"path": "author_id"}, "post_author_id_fkey": {}, "fj.author": {}}}'),
               ARRAY(SELECT to_jsonb(p) || jsonb_build_object('author', to_jsonb(a), 'by_column', to_jsonb(a),
                                                             'post_author_id_fkey', to_jsonb(a), 'fj.author', to_jsonb(a))
                     FROM post p JOIN author a ON a.id = p.author_id ORDER BY p.id)) AS forward_names;
-- a NULL foreign key gives null
SELECT j FROM relprefetch.fetch_json('author', '{"order_by": "id", "include": ["country"]}') j;
SELECT fj_same(fj_got('author', '{"order_by": "id", "include": {"by_column": {"path": "country_id"}, "author_country_id_fkey": {}, "fj.country": {}}}'),
               ARRAY(SELECT to_jsonb(a) || jsonb_build_object('by_column', to_jsonb(c), 'author_country_id_fkey', to_jsonb(c),
                                                             'fj.country', to_jsonb(c))
                     FROM author a LEFT JOIN country c ON c.id = a.country_id ORDER BY a.id)) AS null_fk;

--
-- reverse: an array, [] when empty
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id", "body"], "order_by": "id"}}}') j;
SELECT fj_same(fj_norm(fj_got('post', '{"order_by": "id", "include": ["comment", "fj.comment", "comment_post_id_fkey"]}')),
               ARRAY(SELECT fj_norm(to_jsonb(p) || jsonb_build_object('comment', cs, 'fj.comment', cs, 'comment_post_id_fkey', cs))
                     FROM post p,
                          LATERAL (SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') AS cs
                                   FROM comment c WHERE c.post_id = p.id) l
                     ORDER BY p.id)) AS reverse_names;
-- from the country: its authors, and theirs posts
SELECT j FROM relprefetch.fetch_json('country', '{"order_by": "id", "include": {"author": {"columns": ["name"], "order_by": "name", "include": {"post": {"columns": ["title"], "order_by": "id"}}}}}') j;

--
-- many-to-many, through the junction
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"tags": {"columns": ["name"], "order_by": "name"}}}') j;
SELECT fj_same(fj_norm(fj_got('post', '{"order_by": "id", "include": ["tags", "tag", "fj.tag", "post_tags_tag_id_fkey", "tag_id"]}')),
               ARRAY(SELECT fj_norm(to_jsonb(p) || jsonb_build_object('tags', ts, 'tag', ts, 'fj.tag', ts,
                                                                      'post_tags_tag_id_fkey', ts, 'tag_id', ts))
                     FROM post p,
                          LATERAL (SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') AS ts
                                   FROM post_tags pt JOIN tag t ON t.id = pt.tag_id
                                   WHERE pt.post_id = p.id) l
                     ORDER BY p.id)) AS many_to_many_names;
-- the junction's own rows, by its name (as in PostgREST) or its foreign
-- key's, bare or schema-qualified
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 2", "order_by": "id", "include": {"post_tags_post_id_fkey": {"columns": ["post_id", "tag_id"], "order_by": "tag_id"}}}') j;
SELECT fj_same(fj_got('post', '{"order_by": "id", "include": {"post_tags": {"order_by": "tag_id"}, "fj.post_tags": {"order_by": "tag_id"}, "post_tags_post_id_fkey": {"order_by": "tag_id"}}}'),
               ARRAY(SELECT to_jsonb(p) || jsonb_build_object('post_tags', pts, 'fj.post_tags', pts, 'post_tags_post_id_fkey', pts)
                     FROM post p,
                          LATERAL (SELECT coalesce(jsonb_agg(to_jsonb(pt) ORDER BY pt.tag_id), '[]') AS pts
                                   FROM post_tags pt WHERE pt.post_id = p.id) l
                     ORDER BY p.id)) AS junction_rows;
-- a junction's rows with their far row spread into them (PostgREST's
-- films?select=roles(character,...actors(name)))
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 2", "order_by": "id", "include": {"post_tags": {"columns": ["tag_id"], "order_by": "tag_id", "include": {"tag": {"spread": true, "columns": ["name"]}}}}}') j;
-- the other way: a tag's posts ("post" is the target's name)
SELECT j FROM relprefetch.fetch_json('tag', '{"columns": ["name"], "order_by": "id", "include": {"post": {"columns": ["id"], "order_by": "id"}}}') j;
-- where, order_by and limit on the targets; an inactive tag is filtered out
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"active_tags": {"path": "tags", "where": "active", "order_by": "name DESC", "limit": 1}}}') j;
SELECT fj_same(fj_got('post', '{"columns": ["id"], "order_by": "id", "include": {"t": {"path": "tags", "columns": ["id"], "where": "active", "order_by": "name", "limit": 2}}}'),
               ARRAY(SELECT jsonb_build_object('id', p.id, 't',
                         coalesce((SELECT jsonb_agg(jsonb_build_object('id', id) ORDER BY name)
                                   FROM (SELECT t.id, t.name FROM post_tags pt JOIN tag t ON t.id = pt.tag_id
                                         WHERE pt.post_id = p.id AND t.active ORDER BY t.name LIMIT 2) s), '[]'))
                     FROM post p ORDER BY p.id)) AS many_to_many_filters;

--
-- self-reference: "parent" is the forward key, the table's name the replies
--
SELECT j FROM relprefetch.fetch_json('comment', '{"columns": ["id"], "order_by": "id", "include": {"parent": {"columns": ["id", "body"]}, "comment": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT fj_same(fj_got('comment', '{"order_by": "id", "include": {"replies": {"path": "comment", "order_by": "id"}, "by_column": {"path": "parent_id"}}}'),
               ARRAY(SELECT to_jsonb(c)
                            || jsonb_build_object('replies', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id)
                                                                       FROM comment r WHERE r.parent_id = c.id), '[]'),
                                                  'by_column', (SELECT to_jsonb(pc) FROM comment pc WHERE pc.id = c.parent_id))
                     FROM comment c ORDER BY c.id)) AS self_reference;
-- a thread, three levels deep, and the chain of parents upwards
SELECT j FROM relprefetch.fetch_json('comment', '{"columns": ["id"], "where": "parent_id IS NULL", "order_by": "id", "include": ["comment__comment__comment"]}') j;
SELECT j FROM relprefetch.fetch_json('comment', '{"columns": ["id"], "where": "id = 3", "include": {"parent": {"columns": ["id"], "include": {"parent": {"columns": ["id"], "include": {"parent": {"columns": ["id"]}}}}}}}') j;
SELECT j FROM relprefetch.fetch_json('comment', '{"columns": ["id"], "where": "id = 3", "include": ["parent__parent__parent"]}') j;

--
-- paths
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["author__country"]}') j;
-- shared prefixes are merged, in either order
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 4)", "order_by": "id", "include": ["author", "author__country"]}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 4)", "order_by": "id", "include": ["author__country", "author"]}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 1", "order_by": "id", "include": ["comment", "author__country", "author__post", "tags", "author"]}') j
\gset
SELECT fj_norm(:'j'::jsonb) = fj_norm((SELECT to_jsonb(p) - ARRAY['title', 'author_id', 'published'] || jsonb_build_object(
           'comment', (SELECT jsonb_agg(to_jsonb(c)) FROM comment c WHERE c.post_id = p.id),
           'author', to_jsonb(a) || jsonb_build_object('country', to_jsonb(co),
                                                       'post', (SELECT jsonb_agg(to_jsonb(p2)) FROM post p2 WHERE p2.author_id = a.id)),
           'tags', (SELECT jsonb_agg(to_jsonb(t)) FROM post_tags pt JOIN tag t ON t.id = pt.tag_id WHERE pt.post_id = p.id))
       FROM post p JOIN author a ON a.id = p.author_id JOIN country co ON co.id = a.country_id
       WHERE p.id = 1)) AS merged_paths;
-- the keys come in the order of the array
SELECT json_object_keys(:'j'::json) AS key;
SELECT json_object_keys(:'j'::json -> 'author') AS author_key;
-- object form: the path's last name under the output key, the others under their own names
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 4)", "order_by": "id", "include": {"from": {"path": "author__country", "columns": ["code"]}}}') j;
-- ... merged with an include of the prefix that has its own spec, in either order of the keys
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 4)", "order_by": "id", "include": {"author": {"columns": ["name"]}, "c": {"path": "author__country", "columns": ["code"]}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id IN (1, 4)", "order_by": "id", "include": {"author": {"columns": ["name"]}, "the_country": {"path": "author__country", "columns": ["code"]}}}') j;
-- the object form's keys come in jsonb's order: shorter keys first
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id = 3", "include": {"zz": {"path": "author", "columns": ["id"]}, "a_long_key": {"path": "comment", "columns": ["id"], "order_by": "id"}, "b": {"path": "tags", "columns": ["id"], "order_by": "id"}}}') j;
-- the object form inside the array's paths
SELECT fj_norm(j::jsonb) FROM relprefetch.fetch_json('country', '{"columns": ["code"], "order_by": "id", "include": {"author": {"columns": ["name"], "order_by": "id", "include": ["post__comment"]}}}') j;
-- an include with no columns: only its own includes
SELECT j FROM relprefetch.fetch_json('post', '{"columns": [], "where": "id IN (1, 4)", "order_by": "id", "include": {"author": {"columns": [], "include": {"country": {"columns": ["code"]}}}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": [], "where": "id = 1", "include": {"comment": {"columns": [], "order_by": "id"}}}') j;

--
-- an include's keys
--
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"comment": {"columns": ["id"], "where": "body <> ''first''", "order_by": "id DESC", "limit": 2}}}') j;
SELECT fj_same(fj_got('post', '{"columns": ["id"], "order_by": "id", "include": {"c": {"path": "comment", "columns": ["body", "id"], "where": "parent_id IS NULL", "order_by": "body", "limit": 1}}}'),
               ARRAY(SELECT jsonb_build_object('id', p.id, 'c',
                         coalesce((SELECT jsonb_agg(jsonb_build_object('body', body, 'id', id) ORDER BY body)
                                   FROM (SELECT * FROM comment c WHERE c.post_id = p.id AND parent_id IS NULL
                                         ORDER BY body LIMIT 1) s), '[]'))
                     FROM post p ORDER BY p.id)) AS include_filters;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 3", "order_by": "id", "include": {"comment": {"columns": ["id"], "limit": 0}}}') j;
-- a where on a forward include: the related row is null when it does not pass
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"author": {"columns": ["name"], "where": "name <> ''Bob''"}}}') j;

--
-- several foreign keys to one table: "via" chooses
--
CREATE TABLE message (
    id int PRIMARY KEY,
    sender_id int NOT NULL REFERENCES author (id),
    recipient_id int REFERENCES author (id),
    body text
);
INSERT INTO message VALUES (1, 1, 2, 'hi Bob'), (2, 2, 1, 'hi Ann'), (3, 1, 3, 'hi Cid'),
                           (4, 3, NULL, 'to nobody');
SELECT j FROM relprefetch.fetch_json('author', '{"columns": ["name"], "order_by": "id", "include": {"sent": {"path": "message", "via": "sender_id", "columns": ["id"], "order_by": "id"}, "received": {"path": "message", "via": "recipient", "columns": ["id"], "order_by": "id"}}}') j;
SELECT fj_same(fj_got('author', '{"columns": ["id"], "order_by": "id", "include": {"a": {"path": "message", "via": "message_sender_id_fkey", "columns": ["id"], "order_by": "id"}, "b": {"path": "fj.message", "via": "recipient_id", "columns": ["id"], "order_by": "id"}, "c": {"path": "message_recipient_id_fkey", "columns": ["id"], "order_by": "id"}}}'),
               ARRAY(SELECT jsonb_build_object('id', a.id,
                         'a', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id) ORDER BY m.id) FROM message m WHERE m.sender_id = a.id), '[]'),
                         'b', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id) ORDER BY m.id) FROM message m WHERE m.recipient_id = a.id), '[]'),
                         'c', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id) ORDER BY m.id) FROM message m WHERE m.recipient_id = a.id), '[]'))
                     FROM author a ORDER BY a.id)) AS via_reverse;
-- forward: by column, or the table's name with via
SELECT j FROM relprefetch.fetch_json('message', '{"columns": ["id"], "order_by": "id", "include": {"sender": {"columns": ["name"]}, "to": {"path": "author", "via": "recipient_id", "columns": ["name"]}}}') j;

--
-- a composite foreign key
--
CREATE TABLE edition (
    book int,
    lang text,
    title text,
    PRIMARY KEY (book, lang)
);
CREATE TABLE review (
    id int PRIMARY KEY,
    book int,
    lang text,
    stars int,
    FOREIGN KEY (book, lang) REFERENCES edition
);
INSERT INTO edition VALUES (1, 'en', 'Dune'), (1, 'fr', 'Dune (fr)'), (2, 'en', 'Emma'), (3, 'de', 'Faust');
INSERT INTO review VALUES (1, 1, 'en', 5), (2, 1, 'fr', 4), (3, 1, 'en', 3), (4, 2, 'en', 2),
                          (5, 2, NULL, 1), (6, NULL, NULL, 0);
SELECT j FROM relprefetch.fetch_json('review', '{"columns": ["id"], "order_by": "id", "include": ["edition"]}') j;
SELECT j FROM relprefetch.fetch_json('review', '{"columns": ["id"], "order_by": "id", "include": {"e": {"path": "review_book_lang_fkey", "columns": ["title"]}}}') j;
SELECT j FROM relprefetch.fetch_json('edition', '{"columns": ["book", "lang"], "order_by": "book, lang", "include": {"review": {"columns": ["id", "stars"], "order_by": "stars DESC"}}}') j;
SELECT fj_same(fj_got('edition', '{"order_by": "book, lang", "include": {"review": {"order_by": "id"}}}'),
               ARRAY(SELECT to_jsonb(e) || jsonb_build_object('review',
                         coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id) FROM review r
                                   WHERE (r.book, r.lang) = (e.book, e.lang)), '[]'))
                     FROM edition e ORDER BY book, lang)) AS composite_reverse;

--
-- one-to-one: a foreign key column that is unique
--
CREATE TABLE profile (
    id int PRIMARY KEY,
    author_id int UNIQUE REFERENCES author (id),
    bio text
);
INSERT INTO profile VALUES (1, 1, 'Ann writes'), (2, 3, 'Cid is quiet'), (3, NULL, 'nobody');
SELECT j FROM relprefetch.fetch_json('profile', '{"order_by": "id", "include": {"author": {"columns": ["name"]}}}') j;
-- and the other way, a reverse one-to-one: an object or null
SELECT j FROM relprefetch.fetch_json('author', '{"columns": ["name"], "order_by": "id", "include": {"profile": {"columns": ["bio"]}}}') j;

--
-- a foreign key between columns of different types
--
CREATE TABLE bookmark (
    id bigint PRIMARY KEY,
    post_ref bigint REFERENCES post (id),
    note varchar(20)
);
INSERT INTO bookmark VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 3, 'c'), (13, NULL, 'd');
SELECT j FROM relprefetch.fetch_json('bookmark', '{"columns": ["id"], "order_by": "id", "include": {"post_ref": {"columns": ["title"]}}}') j;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"bookmark": {"columns": ["id"], "order_by": "id"}}}') j;
-- order_by and where on the foreign key's column itself
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 3", "order_by": "id", "include": {"bookmark": {"columns": ["id", "post_ref"], "where": "post_ref > 0", "order_by": "post_ref DESC, id DESC"}}}') j;
-- a foreign key not validated: rows it does not match are left out, even
-- a value of the wider type that the narrower one cannot hold
CREATE TABLE stray (id int PRIMARY KEY, post_ref bigint);
INSERT INTO stray VALUES (1, 1), (2, 10000000000), (3, 99);
ALTER TABLE stray ADD FOREIGN KEY (post_ref) REFERENCES post (id) NOT VALID;
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "where": "id <= 2", "order_by": "id", "include": {"stray": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('stray', '{"columns": ["id"], "order_by": "id", "include": {"post": {"columns": ["title"]}}}') j;
DROP TABLE stray;

--
-- a foreign key to a unique column that is not the primary key
--
ALTER TABLE country ADD UNIQUE (code);
CREATE TABLE visa (id int PRIMARY KEY, country_code text REFERENCES country (code), kind text);
INSERT INTO visa VALUES (1, 'FR', 'work'), (2, 'FR', 'study'), (3, 'JP', 'work'), (4, NULL, 'none');
SELECT j FROM relprefetch.fetch_json('visa', '{"order_by": "id", "include": {"country": {"columns": ["name"]}}}') j;
SELECT j FROM relprefetch.fetch_json('country', '{"columns": ["code"], "order_by": "id", "include": {"visa": {"columns": ["kind"], "order_by": "kind"}}}') j;

--
-- a key of a nondeterministic collation: rows match as the foreign key
-- matches them
--
CREATE COLLATION fj_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE label (code text COLLATE fj_ci PRIMARY KEY, name text);
CREATE TABLE item (id int PRIMARY KEY, label_code text COLLATE fj_ci REFERENCES label);
INSERT INTO label VALUES ('abc', 'lower'), ('XY', 'upper');
INSERT INTO item VALUES (1, 'ABC'), (2, 'abc'), (3, 'xy'), (4, 'Abc');
SELECT i.id, l.name FROM item i JOIN label l ON l.code = i.label_code ORDER BY i.id;
SELECT j FROM relprefetch.fetch_json('item', '{"order_by": "id", "include": {"label": {"columns": ["name"]}}}') j;
-- looked up by key
INSERT INTO label SELECT 'f' || g, 'filler' FROM generate_series(1, 30) g;
ANALYZE label, item;
SET relprefetch.fetch_batch_size = 1;
SELECT j FROM relprefetch.fetch_json('item', '{"order_by": "id", "include": {"label": {"columns": ["name"]}}}') j;
RESET relprefetch.fetch_batch_size;
SELECT j FROM relprefetch.fetch_json('label', '{"where": "name <> ''filler''", "order_by": "name", "include": {"item": {"columns": ["id"], "order_by": "id"}}}') j;

--
-- many-to-many from a table to itself
--
CREATE TABLE follows (
    follower_id int REFERENCES author (id),
    followee_id int REFERENCES author (id),
    PRIMARY KEY (follower_id, followee_id)
);
INSERT INTO follows VALUES (1, 2), (1, 3), (2, 3), (4, 1);
SELECT j FROM relprefetch.fetch_json('author', '{"columns": ["id"], "order_by": "id", "include": {"followee": {"columns": ["id"], "order_by": "id"}, "follower": {"columns": ["id"], "order_by": "id"}, "followers": {"path": "follows", "via": "followee_id", "columns": ["follower_id"], "order_by": "follower_id"}}}') j;
SELECT count(*) AS differ
FROM relprefetch.fetch_json('author', '{"columns": ["id"], "include": {"followee": {"columns": ["id"], "order_by": "id"}}}') j
WHERE ARRAY(SELECT (x->>'id')::int FROM json_array_elements(j->'followee') x) IS DISTINCT FROM
      ARRAY(SELECT followee_id FROM follows f WHERE f.follower_id = (j->>'id')::int ORDER BY followee_id);

--
-- partitioned tables
--
-- a partitioned table referencing a plain one
CREATE TABLE event (
    id int,
    kind text,
    post_id int REFERENCES post (id),
    PRIMARY KEY (id, kind)
) PARTITION BY LIST (kind);
CREATE TABLE event_view PARTITION OF event FOR VALUES IN ('view');
CREATE TABLE event_like PARTITION OF event FOR VALUES IN ('like');
INSERT INTO event VALUES (1, 'view', 1), (2, 'like', 1), (3, 'view', 3), (4, 'like', NULL);
SELECT j FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": {"event": {"columns": ["id", "kind"], "order_by": "id"}}}') j;
SELECT j FROM relprefetch.fetch_json('event', '{"order_by": "id", "include": {"post": {"columns": ["title"]}}}') j;
-- a partitioned table referenced by a plain one
CREATE TABLE region (id int PRIMARY KEY, name text) PARTITION BY RANGE (id);
CREATE TABLE region_low PARTITION OF region FOR VALUES FROM (0) TO (10);
CREATE TABLE region_high PARTITION OF region FOR VALUES FROM (10) TO (100);
INSERT INTO region VALUES (1, 'north'), (20, 'south'), (30, 'empty');
CREATE TABLE office (id int PRIMARY KEY, region_id int REFERENCES region (id), city text);
INSERT INTO office VALUES (1, 1, 'Lille'), (2, 20, 'Nice'), (3, 20, 'Pau'), (4, NULL, 'Nowhere');
SELECT j FROM relprefetch.fetch_json('office', '{"order_by": "id", "include": ["region"]}') j;
SELECT j FROM relprefetch.fetch_json('region', '{"order_by": "id", "include": {"office": {"columns": ["city"], "order_by": "city"}}}') j;
-- partitioned on both sides, and a partition queried directly
SELECT j FROM relprefetch.fetch_json('region_high', '{"order_by": "id"}') j;

--
-- empty tables
--
CREATE TABLE shelf (id int PRIMARY KEY);
CREATE TABLE book (id int PRIMARY KEY, shelf_id int REFERENCES shelf (id));
SELECT count(*) AS empty_parent FROM relprefetch.fetch_json('shelf', '{"include": ["book"]}');
INSERT INTO shelf VALUES (1), (2);
SELECT j FROM relprefetch.fetch_json('shelf', '{"order_by": "id", "include": ["book", "book__shelf"]}') j;
INSERT INTO book VALUES (1, NULL);
SELECT j FROM relprefetch.fetch_json('book', '{"order_by": "id", "include": ["shelf__book"]}') j;

--
-- views and materialized views as the parent
--
CREATE VIEW recent AS SELECT id, title FROM post WHERE published >= '2024-01-01';
CREATE MATERIALIZED VIEW post_count AS SELECT author_id, count(*) AS n FROM post GROUP BY author_id;
SELECT j FROM relprefetch.fetch_json('recent', '{"order_by": "id", "where": "id > 1"}') j;
SELECT j FROM relprefetch.fetch_json('post_count', '{"columns": ["n", "author_id"], "order_by": "author_id"}') j;

--
-- batches: the same result whatever the batch size.  With more rows, a
-- batch of a few parent rows looks the related rows up by key (keyed
-- queries) and the default batch reads whole tables
--
INSERT INTO country SELECT g, 'country ' || g, 'C' || g FROM generate_series(10, 60) g;
INSERT INTO author SELECT g, 'author ' || g, CASE WHEN g % 3 > 0 THEN 10 + g % 50 END
    FROM generate_series(10, 99) g;
INSERT INTO post SELECT g, 'post ' || g, 10 + g % 90, '2024-06-01' FROM generate_series(101, 400) g;
INSERT INTO comment SELECT 100 + g, 101 + g % 300, CASE WHEN g > 300 THEN g - 200 END, 'c' || g
    FROM generate_series(1, 900) g;
INSERT INTO tag SELECT g, 'tag ' || g, g % 5 <> 0 FROM generate_series(10, 59) g;
INSERT INTO post_tags (post_id, tag_id)
    SELECT g, 1 + g % 4 FROM generate_series(101, 400) g
    UNION ALL SELECT g, 10 + g % 50 FROM generate_series(101, 400) g WHERE g % 6 <> 0;
INSERT INTO message SELECT g, 10 + g % 90, CASE WHEN g % 7 > 0 THEN 10 + (g * 7) % 90 END, 'm' || g
    FROM generate_series(10, 200) g;
INSERT INTO edition SELECT b, l, 'book ' || b || l FROM generate_series(10, 60) b, unnest(ARRAY['en', 'fr']) l;
INSERT INTO review SELECT g, 10 + g % 51, CASE g % 3 WHEN 0 THEN 'en' WHEN 1 THEN 'fr' END, g % 6
    FROM generate_series(10, 300) g;
INSERT INTO profile SELECT g, g + 10, 'bio ' || g FROM generate_series(10, 60) g;
INSERT INTO bookmark SELECT g, CASE WHEN g % 5 > 0 THEN 101 + g % 300 END, 'n' || g FROM generate_series(100, 300) g;
INSERT INTO event SELECT g, CASE WHEN g % 2 = 0 THEN 'view' ELSE 'like' END, 101 + g % 300
    FROM generate_series(10, 200) g;
INSERT INTO region SELECT g, 'r' || g FROM generate_series(2, 9) g UNION ALL SELECT g, 'r' || g FROM generate_series(40, 99) g;
INSERT INTO office SELECT g, CASE WHEN g % 9 > 0 THEN 40 + g % 60 END, 'city ' || g FROM generate_series(10, 200) g;
ANALYZE country, author, post, comment, tag, post_tags, message, edition, review,
    profile, bookmark, event, region, office;

CREATE TEMP TABLE fj_specs (name text, parent regclass, spec jsonb);
INSERT INTO fj_specs VALUES
 ('posts', 'post', '{"order_by": "id", "include": {"author": {"include": ["country"]}, "comment": {"order_by": "id", "include": {"replies": {"path": "comment", "order_by": "id"}}}, "tags": {"order_by": "id", "limit": 2}, "bookmark": {"order_by": "id"}, "event": {"order_by": "id"}}}'),
 ('limited', 'post', '{"order_by": "id DESC", "limit": 30, "offset": 10, "include": {"comment": {"order_by": "id DESC", "limit": 1}}}'),
 ('authors', 'author', '{"order_by": "id", "include": {"profile": {}, "sent": {"path": "message", "via": "sender", "order_by": "id"}, "post": {"order_by": "id", "include": {"tags": {"where": "active", "order_by": "name"}}}}}'),
 ('tags', 'tag', '{"order_by": "id", "include": {"post": {"order_by": "id", "include": ["author"]}}}'),
 ('editions', 'edition', '{"order_by": "book, lang", "include": {"review": {"order_by": "id"}}}'),
 ('reviews', 'review', '{"order_by": "id", "include": ["edition"]}'),
 ('offices', 'office', '{"order_by": "id", "include": {"region": {"include": {"office": {"order_by": "id"}}}}}'),
 ('bookmarks', 'bookmark', '{"order_by": "id", "include": {"ref": {"path": "post_ref", "include": ["author"]}}}'),
 ('comments', 'comment', '{"order_by": "id", "include": {"parent": {"include": ["parent"]}, "post": {"include": {"tags": {"order_by": "id"}}}}}');
CREATE TEMP TABLE fj_default AS
    SELECT name, array_agg(j::text ORDER BY n) AS rows
    FROM fj_specs, relprefetch.fetch_json(parent, spec) WITH ORDINALITY f(j, n)
    GROUP BY name;
SELECT name, cardinality(rows) FROM fj_default ORDER BY name;
-- every include has an order_by: the same text
SET relprefetch.fetch_batch_size = 1;
SELECT name, rows = (SELECT array_agg(j::text ORDER BY n)
                     FROM relprefetch.fetch_json(s.parent, s.spec) WITH ORDINALITY f(j, n)) AS same
FROM fj_specs s JOIN fj_default d USING (name) ORDER BY name;
SET relprefetch.fetch_batch_size = 2;
SELECT name, rows = (SELECT array_agg(j::text ORDER BY n)
                     FROM relprefetch.fetch_json(s.parent, s.spec) WITH ORDINALITY f(j, n)) AS same
FROM fj_specs s JOIN fj_default d USING (name) ORDER BY name;
SET relprefetch.fetch_batch_size = 7;
SELECT name, rows = (SELECT array_agg(j::text ORDER BY n)
                     FROM relprefetch.fetch_json(s.parent, s.spec) WITH ORDINALITY f(j, n)) AS same
FROM fj_specs s JOIN fj_default d USING (name) ORDER BY name;
-- and the same as plain SQL, in small batches and in one
CREATE VIEW fj_posts_expected AS
    SELECT p.id, to_jsonb(p) || jsonb_build_object(
        'author', (SELECT to_jsonb(a) || jsonb_build_object('country', (SELECT to_jsonb(c) FROM country c WHERE c.id = a.country_id))
                   FROM author a WHERE a.id = p.author_id),
        'comment', coalesce((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('replies',
                                coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id) FROM comment r WHERE r.parent_id = c.id), '[]'))
                             ORDER BY c.id) FROM comment c WHERE c.post_id = p.id), '[]'),
        'tags', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id)
                          FROM (SELECT t.* FROM post_tags pt JOIN tag t ON t.id = pt.tag_id
                                WHERE pt.post_id = p.id ORDER BY t.id LIMIT 2) t), '[]'),
        'bookmark', coalesce((SELECT jsonb_agg(to_jsonb(b) ORDER BY b.id) FROM bookmark b WHERE b.post_ref = p.id), '[]'),
        'event', coalesce((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM event e WHERE e.post_id = p.id), '[]')) AS j
    FROM post p;
SELECT fj_same(fj_got('post', (SELECT spec FROM fj_specs WHERE name = 'posts')),
               ARRAY(SELECT j FROM fj_posts_expected ORDER BY id)) AS posts_batches_of_7;
RESET relprefetch.fetch_batch_size;
SELECT fj_same(fj_got('post', (SELECT spec FROM fj_specs WHERE name = 'posts')),
               ARRAY(SELECT j FROM fj_posts_expected ORDER BY id)) AS posts_one_batch;
SELECT fj_same(fj_got('post', '{"order_by": "id", "where": "id % 50 = 0", "include": {"comment": {"order_by": "id", "include": {"replies": {"path": "comment", "order_by": "id"}}}, "bookmark": {"order_by": "id"}, "event": {"order_by": "id"}, "tags": {"order_by": "id", "limit": 2}, "author": {"include": ["country"]}}}'),
               ARRAY(SELECT j FROM fj_posts_expected WHERE id % 50 = 0 ORDER BY id)) AS posts_few_keys;

--
-- one query per include, not one per parent row
--
-- (pg_stat_get_xact_numscans counts what this backend has not yet
-- reported, which may include earlier statements: count the difference)
CREATE FUNCTION fj_scans() RETURNS TABLE (comment_seq bigint, comment_idx bigint, post_tags_seq bigint, post_tags_idx bigint)
LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_numscans('comment'::regclass),
           pg_stat_get_xact_numscans('comment_post_id_idx'::regclass),
           pg_stat_get_xact_numscans('post_tags'::regclass),
           pg_stat_get_xact_numscans('post_tags_post_id_tag_id_key'::regclass)
$$;
-- 200 parents of 306: the comments (and the junction rows) are read in
-- one scan, the whole table (200 keys are more than a tenth of the posts)
BEGIN;
SELECT * FROM fj_scans() \gset before_
SELECT count(*), sum(json_array_length(j->'comment')) AS comments, sum(json_array_length(j->'tags')) AS tags
FROM relprefetch.fetch_json('post', '{"where": "id BETWEEN 101 AND 300", "include": ["comment", "tags", "author"]}') j;
SELECT comment_seq - :before_comment_seq AS comment_seq, comment_idx - :before_comment_idx AS comment_idx,
       post_tags_seq - :before_post_tags_seq AS post_tags_seq, post_tags_idx - :before_post_tags_idx AS post_tags_idx,
       comment_seq - :before_comment_seq < 5 AS few
FROM fj_scans();
COMMIT;
-- 20 parents: the comments are looked up by key, in one query (the
-- planner picks the scan; an index scan counts one per key)
BEGIN;
SELECT * FROM fj_scans() \gset before_
SELECT count(*), sum(json_array_length(j->'comment')) AS comments
FROM relprefetch.fetch_json('post', '{"where": "id BETWEEN 101 AND 120", "include": ["comment"]}') j;
SELECT comment_seq - :before_comment_seq <= 1 AS at_most_one_seq_scan,
       comment_idx - :before_comment_idx <= 20 AS index_scans_at_most_keys
FROM fj_scans();
COMMIT;
-- in batches of 50: one scan per batch (of either kind: PostgreSQL 18's
-- planner takes the index where 15's reads the table)
SET relprefetch.fetch_batch_size = 50;
BEGIN;
SELECT * FROM fj_scans() \gset before_
SELECT count(*), sum(json_array_length(j->'comment')) AS comments
FROM relprefetch.fetch_json('post', '{"where": "id BETWEEN 101 AND 300", "include": ["comment", "tags"]}') j;
SELECT (comment_seq - :before_comment_seq) + (comment_idx - :before_comment_idx) AS comment_scans,
       (post_tags_seq - :before_post_tags_seq) + (post_tags_idx - :before_post_tags_idx) AS post_tags_scans
FROM fj_scans();
COMMIT;
RESET relprefetch.fetch_batch_size;
-- parent rows past work_mem go to the store's temporary file: rows read back
-- from it, batch after batch, are right (a row read back was once freed twice)
CREATE TABLE fj_spill (id int PRIMARY KEY, pad text);
CREATE TABLE fj_spill_child (id int PRIMARY KEY, spill_id int REFERENCES fj_spill (id));
INSERT INTO fj_spill SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g;
INSERT INTO fj_spill_child SELECT g, 1 + g % 2000 FROM generate_series(1, 6000) g;
ANALYZE fj_spill, fj_spill_child;
SET work_mem = '64kB';
SET relprefetch.fetch_batch_size = 300;
SELECT count(*), sum(json_array_length(j->'fj_spill_child')) AS children,
       sum(length(j->>'pad')) AS pad
FROM relprefetch.fetch_json('fj_spill', '{"include": ["fj_spill_child"]}') j;
SELECT count(*) FROM fj_spill_child;
RESET work_mem;
RESET relprefetch.fetch_batch_size;
-- the pool of row blocks: within a transaction it keeps what the largest
-- batch took (here about 2.5 MB: its first 512 kB in 64 kB blocks, which
-- the context shows, then 2 MB blocks mapped on their own); at its end, at
-- most fetch_pool_size
CREATE FUNCTION fj_pool_kb() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(total_bytes), 0) / 1024 FROM pg_backend_memory_contexts
    WHERE name = 'relprefetch arena blocks' $$;
UPDATE fj_spill SET pad = repeat('y', 1000);
SET relprefetch.fetch_pool_size = '256kB';
BEGIN;
SELECT count(*) FROM relprefetch.fetch_json('fj_spill', '{"include": ["fj_spill_child"]}') j;
SELECT fj_pool_kb() >= 512 AS pool_holds_the_batch;
COMMIT;
SELECT fj_pool_kb() BETWEEN 200 AND 300 AS pool_at_most_256kb;
-- a page afterwards takes one block: the pool keeps no more than that
SELECT count(*) FROM relprefetch.fetch_json('fj_spill', '{"where": "id <= 3"}') j;
SELECT fj_pool_kb() < 100 AS pool_one_block;
SET relprefetch.fetch_pool_size = 0;
SELECT count(*) FROM relprefetch.fetch_json('fj_spill', '{"include": ["fj_spill_child"]}') j;
SELECT fj_pool_kb() < 10 AS pool_empty;
-- an error halfway (the parents' rows made, a child's query fails): the
-- blocks go back, and the pool keeps no more than the setting
SET relprefetch.fetch_pool_size = '256kB';
SELECT count(*) FROM relprefetch.fetch_json('fj_spill', '{"include": {"fj_spill_child": {"where": "1 / (id - 5000) > -1"}}}') j;
SELECT fj_pool_kb() <= 300 AS pool_bounded_after_error;
RESET relprefetch.fetch_pool_size;
DROP FUNCTION fj_pool_kb();
DROP TABLE fj_spill_child, fj_spill;
-- and the numbers are right
SELECT count(*) FROM comment WHERE post_id BETWEEN 101 AND 300;
SELECT count(*) FROM comment WHERE post_id BETWEEN 101 AND 120;

-- a call that stops early (LIMIT in the calling query) and a call in a cursor
SELECT j->>'id' AS id FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id", "include": ["comment"]}') j LIMIT 2;
BEGIN;
DECLARE c CURSOR FOR SELECT j->>'id' AS id FROM relprefetch.fetch_json('post', '{"columns": ["id"], "order_by": "id"}') j;
FETCH 2 FROM c;
FETCH 1 FROM c;
CLOSE c;
COMMIT;
-- two calls in one query, and a call per row of a lateral join
SELECT (SELECT count(*) FROM relprefetch.fetch_json('post')) AS a,
       (SELECT count(*) FROM relprefetch.fetch_json('author', '{"include": ["post"]}')) AS b;
SELECT a.id, (SELECT count(*) FROM relprefetch.fetch_json('post', jsonb_build_object('where', 'author_id = ' || a.id))) AS posts,
       (SELECT count(*) FROM post p WHERE p.author_id = a.id) AS expected
FROM author a WHERE a.id IN (1, 4, 10, 21) ORDER BY a.id;

-- the queries a call runs are its own: detection does not count them, even
-- with relprefetch.track = all
BEGIN;
SET LOCAL relprefetch.track = 'all';
SET LOCAL relprefetch.fetch_batch_size = 1;
SELECT count(*) FROM relprefetch.fetch_json('post', '{"where": "id <= 120", "include": ["comment", "tags", "author"]}');
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => 'id <= 120');
-- (a nested statement of this transaction's own is counted)
DO $$ BEGIN PERFORM count(*) FROM fj.comment WHERE post_id = 1; END $$;
SELECT query, calls FROM relprefetch.unit_queries() WHERE query LIKE '%fj.%';
COMMIT;

-- an include's rows are sorted by their key first, then by its order_by:
-- each parent's rows keep order_by's order (DESC, NULLS FIRST, a
-- collation, ties broken by id) in many batches, read through an index on
-- the key (an incremental sort) or without one (a full sort, the plan made
-- with enable_sort off: still right)
CREATE TABLE sorted_parent (id int PRIMARY KEY);
CREATE TABLE sorted_child (id int PRIMARY KEY, parent_id int REFERENCES sorted_parent,
    score int, label text);
CREATE TABLE unindexed_child (id int PRIMARY KEY, parent_id int REFERENCES sorted_parent,
    score int);
CREATE INDEX ON sorted_child (parent_id);
INSERT INTO sorted_parent SELECT g FROM generate_series(1, 40) g;
INSERT INTO sorted_child
    SELECT g, 1 + g % 40, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 5 END,
           CASE g % 3 WHEN 0 THEN 'b' WHEN 1 THEN 'B' ELSE 'a' END
    FROM generate_series(1, 400) g;
INSERT INTO unindexed_child SELECT g, 1 + g % 40, g % 3 FROM generate_series(1, 400) g;
ANALYZE sorted_parent, sorted_child, unindexed_child;
SET relprefetch.fetch_batch_size = 7;
SELECT fj_same(fj_got('sorted_parent', '{"order_by": "id", "include": {"sorted_child": {"order_by": "score DESC NULLS FIRST, label COLLATE \"C\", id DESC"}, "unindexed_child": {"order_by": "score, id DESC", "limit": 4}}}'),
               ARRAY(SELECT to_jsonb(p) || jsonb_build_object(
                   'sorted_child', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.score DESC NULLS FIRST, c.label COLLATE "C", c.id DESC)
                                             FROM sorted_child c WHERE c.parent_id = p.id), '[]'),
                   'unindexed_child', coalesce((SELECT jsonb_agg(to_jsonb(u) ORDER BY u.score, u.id DESC)
                                                FROM (SELECT * FROM unindexed_child u WHERE u.parent_id = p.id
                                                      ORDER BY u.score, u.id DESC LIMIT 4) u), '[]'))
                     FROM sorted_parent p ORDER BY p.id)) AS sorted_per_parent;
-- the same with a two-column key, and with "order" through a to-one
-- relationship (a join in the include's query)
CREATE TABLE pair_parent (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE pair_child (id int PRIMARY KEY, a int, b int, score int,
    parent_id int REFERENCES sorted_parent,
    FOREIGN KEY (a, b) REFERENCES pair_parent);
CREATE INDEX ON pair_child (a, b);
INSERT INTO pair_parent SELECT g % 6, g / 6 FROM generate_series(0, 29) g;
INSERT INTO pair_child SELECT g, g % 6, (g / 6) % 5, g % 4, 1 + g % 40
    FROM generate_series(1, 300) g;
ANALYZE pair_parent, pair_child;
SELECT fj_same(fj_got('pair_parent', '{"order_by": "a, b", "include": {"pair_child": {"order_by": "score DESC, id"}}}'),
               ARRAY(SELECT to_jsonb(p) || jsonb_build_object(
                   'pair_child', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.score DESC, c.id)
                                           FROM pair_child c WHERE (c.a, c.b) = (p.a, p.b)), '[]'))
                     FROM pair_parent p ORDER BY p.a, p.b)) AS two_column_key_per_parent;
SELECT fj_same(fj_got('sorted_parent', '{"order_by": "id", "include": {"sorted_child": {"order": "score desc nulls last, id"}, "pair_child": {"order": "pair_parent.b desc, id"}}}'),
               ARRAY(SELECT to_jsonb(p) || jsonb_build_object(
                   'sorted_child', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.score DESC NULLS LAST, c.id)
                                             FROM sorted_child c WHERE c.parent_id = p.id), '[]'),
                   'pair_child', coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY pp.b DESC, c.id)
                                           FROM pair_child c JOIN pair_parent pp ON (pp.a, pp.b) = (c.a, c.b)
                                           WHERE c.parent_id = p.id), '[]'))
                     FROM sorted_parent p ORDER BY p.id)) AS order_through_a_relationship_per_parent;
RESET relprefetch.fetch_batch_size;

SET client_min_messages = warning;
DROP SCHEMA fj CASCADE;
RESET client_min_messages;
RESET search_path;
