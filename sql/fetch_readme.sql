-- The examples of README.md's "Fetching related rows in one call", on the
-- demo's blog schema (demo/blog.sql, scale 100).
\set ECHO none
\set scale 100
\o /dev/null
\i demo/blog.sql
\o
\set ECHO all

-- every post with its author (and the author's country), its active tags
-- in name order, and its first three comments: one JSON object per post
SELECT relprefetch.fetch_json('blog_post', '{
  "columns": ["id", "title"],
  "where": "published >= ''2024-01-01''",
  "order_by": "id",
  "limit": 20,
  "include": {
    "author": {"include": ["country"]},
    "active_tags": {"path": "tags", "where": "active", "order_by": "name"},
    "comments": {"path": "blog_comment", "order_by": "id", "limit": 3}
  }
}');

-- typed: each post with the array of its comments, as the tables' own row types
SELECT (t.parent).title, cardinality(t.children), (t.children[1]).body
FROM relprefetch.fetch_children(NULL::blog_post, NULL::blog_comment[],
                                parent_where => 'id <= 3',
                                child_order_by => 'id') t
ORDER BY (t.parent).id;

-- the issue's example: the article's "combining both"
SELECT relprefetch.fetch_json('blog_post', '{"columns":["id","title"],"include":{"author":{"include":["country"]},"active_tags":{"path":"blog_tag","where":"active","order_by":"name"},"comments":{"path":"blog_comment","order_by":"id","limit":3}}}')
LIMIT 2;

-- the posts of authors from country 8 that have a comment, newest first;
-- the author's name as a key of the post, the title renamed
SELECT relprefetch.fetch_json('blog_post', '{
  "columns": ["id", {"headline": "title"}],
  "order": "published desc, id",
  "limit": 2,
  "include": [
    {"author": {"spread": true, "inner": true, "where": "country_id = 8",
                "columns": [{"author": "name"}]}},
    {"comments": {"path": "blog_comment", "inner": true, "columns": ["id"],
                  "order": "id", "limit": 2}}
  ]
}');
-- the same by plain SQL
SELECT json_build_object('id', p.id, 'headline', p.title, 'author', a.name,
         'comments', (SELECT json_agg(json_build_object('id', c.id))
                      FROM (SELECT id FROM blog_comment c WHERE c.post_id = p.id
                            ORDER BY id LIMIT 2) c))
FROM blog_post p JOIN blog_author a ON a.id = p.author_id AND a.country_id = 8
WHERE EXISTS (SELECT FROM blog_comment c WHERE c.post_id = p.id)
ORDER BY p.published DESC, p.id LIMIT 2;

-- the calls the stats view suggests for the demo's loops
SELECT relprefetch.fetch_json('public.blog_post', '{"include": ["author"]}') LIMIT 1;
SELECT count(*), sum(cardinality(children))
FROM relprefetch.fetch_children(NULL::public.blog_post, NULL::public.blog_tag[]);

DROP TABLE blog_comment, blog_post_tags, blog_tag, blog_post, blog_author,
    blog_country;
