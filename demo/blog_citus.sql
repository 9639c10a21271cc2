-- demo/blog_citus.sql: demo/blog.sql's tables as Citus tables, run after
-- it on a Citus coordinator (used by t/017_citus.pl and bench/citus.sh).
--
--   psql -v scale=10000 -f demo/blog.sql -f demo/blog_citus.sql
--
-- countries, authors and tags become reference tables (a copy on every
-- node); posts are distributed by id, comments and post-tag links by
-- post_id, in the same shards as their post (colocated). Citus asks that
-- a distributed table's unique keys hold its distribution column, and
-- that its foreign keys to another distributed table go through it, so:
--   - blog_comment's primary key becomes (post_id, id), and its parent_id
--     foreign key (to a comment of any post) is dropped;
--   - blog_post_tags loses its id primary key: (post_id, tag_id) is
--     unique, which keeps it a junction table;
--   - the identity columns of the distributed tables become plain columns;
--   - the foreign keys to blog_post are added again once all three tables
--     are distributed.
-- Lines that call Citus's functions are marked "-- citus": without them
-- the file gives the same tables on plain PostgreSQL.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

ALTER TABLE blog_post ALTER COLUMN id DROP IDENTITY;
ALTER TABLE blog_comment ALTER COLUMN id DROP IDENTITY;
ALTER TABLE blog_post_tags ALTER COLUMN id DROP IDENTITY;
ALTER TABLE blog_comment DROP CONSTRAINT blog_comment_parent_id_fkey;
ALTER TABLE blog_comment DROP CONSTRAINT blog_comment_post_id_fkey;
ALTER TABLE blog_post_tags DROP CONSTRAINT blog_post_tags_post_id_fkey;
ALTER TABLE blog_comment DROP CONSTRAINT blog_comment_pkey;
ALTER TABLE blog_comment ADD PRIMARY KEY (post_id, id);
ALTER TABLE blog_post_tags DROP CONSTRAINT blog_post_tags_pkey;

SELECT create_reference_table('blog_country'); -- citus
SELECT create_reference_table('blog_author'); -- citus
SELECT create_reference_table('blog_tag'); -- citus
SELECT create_distributed_table('blog_post', 'id'); -- citus
SELECT create_distributed_table('blog_comment', 'post_id', colocate_with => 'blog_post'); -- citus
SELECT create_distributed_table('blog_post_tags', 'post_id', colocate_with => 'blog_post'); -- citus

ALTER TABLE blog_comment ADD CONSTRAINT blog_comment_post_id_fkey
    FOREIGN KEY (post_id) REFERENCES blog_post (id);
ALTER TABLE blog_post_tags ADD CONSTRAINT blog_post_tags_post_id_fkey
    FOREIGN KEY (post_id) REFERENCES blog_post (id);
ANALYZE;
