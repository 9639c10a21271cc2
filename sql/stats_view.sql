--
-- stats_view: the columns of relprefetch.stats, and how each kind of
-- relationship is recognised and explained
--
\d relprefetch.stats
\d relprefetch.info

SELECT relprefetch.reset() IS NOT NULL AS reset;

-- Forward foreign key: the article's post.author loop.  The "1" of N+1 is
-- the statement that ran just before the loop.
BEGIN;
SELECT id, title, author_id FROM blog_post ORDER BY id LIMIT 5;
SELECT id, name FROM blog_author WHERE id = 2;
SELECT id, name FROM blog_author WHERE id = 3;
SELECT id, name FROM blog_author WHERE id = 4;
SELECT id, name FROM blog_author WHERE id = 5;
SELECT id, name FROM blog_author WHERE id = 6;
COMMIT;
\x on
SELECT * FROM rp_stats;
\x off

-- Reverse foreign key: post.comments.all() in a loop, as Django sends it
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post" WHERE "blog_post"."author_id" = 1;
SELECT "blog_comment"."id", "blog_comment"."body" FROM "blog_comment" WHERE "blog_comment"."post_id" = 10;
SELECT "blog_comment"."id", "blog_comment"."body" FROM "blog_comment" WHERE "blog_comment"."post_id" = 20;
SELECT "blog_comment"."id", "blog_comment"."body" FROM "blog_comment" WHERE "blog_comment"."post_id" = 30;
SELECT "blog_comment"."id", "blog_comment"."body" FROM "blog_comment" WHERE "blog_comment"."post_id" = 11;
SELECT "blog_comment"."id", "blog_comment"."body" FROM "blog_comment" WHERE "blog_comment"."post_id" = 12;
COMMIT;
\x on
SELECT * FROM rp_stats;
\x off

-- Many-to-many through the junction table: post.tags.all()
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT "blog_post"."id" FROM "blog_post" ORDER BY "blog_post"."id" LIMIT 5;
SELECT "blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = 1;
SELECT "blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = 2;
SELECT "blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = 3;
SELECT "blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = 4;
SELECT "blog_tag"."id", "blog_tag"."name" FROM "blog_tag" INNER JOIN "blog_post_tags" ON ("blog_tag"."id" = "blog_post_tags"."tag_id") WHERE "blog_post_tags"."post_id" = 5;
COMMIT;
\x on
SELECT * FROM rp_stats;
\x off

-- A loop body of two statements: both have the statement before the loop
-- as their source.
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id FROM blog_post WHERE id <= 5 ORDER BY id;
SELECT name FROM blog_author WHERE id = 2;
SELECT count(*) FROM blog_comment WHERE post_id = 1;
SELECT name FROM blog_author WHERE id = 3;
SELECT count(*) FROM blog_comment WHERE post_id = 2;
SELECT name FROM blog_author WHERE id = 4;
SELECT count(*) FROM blog_comment WHERE post_id = 3;
SELECT name FROM blog_author WHERE id = 5;
SELECT count(*) FROM blog_comment WHERE post_id = 4;
SELECT name FROM blog_author WHERE id = 6;
SELECT count(*) FROM blog_comment WHERE post_id = 5;
COMMIT;
SELECT query, source_query, relation, foreign_key FROM rp_stats ORDER BY query COLLATE "C";

-- Two foreign keys to one table: the statement before the loop tells
-- which one the loop follows.
CREATE TABLE blog_review (
    id int PRIMARY KEY,
    post_id int NOT NULL REFERENCES blog_post (id),
    reviewer_id int NOT NULL REFERENCES blog_author (id)
);
INSERT INTO blog_review SELECT g, g, 1 + (g * 3) % 10 FROM generate_series(1, 10) g;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, reviewer_id FROM blog_review ORDER BY id LIMIT 5;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 7;
SELECT name FROM blog_author WHERE id = 10;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 6;
COMMIT;
SELECT relation, foreign_key FROM rp_stats;

-- Composite keys and a self-reference
CREATE TABLE shop_order (region int, num int, note text, PRIMARY KEY (region, num));
CREATE TABLE shop_line (
    id int PRIMARY KEY,
    region int, num int,
    parent_line int REFERENCES shop_line (id),
    FOREIGN KEY (region, num) REFERENCES shop_order (region, num)
);
CREATE INDEX ON shop_line (region, num);
INSERT INTO shop_order SELECT r, n, 'o' FROM generate_series(1, 3) r, generate_series(1, 3) n;
INSERT INTO shop_line SELECT g, 1 + g % 3, 1 + g % 3, NULL FROM generate_series(1, 20) g;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id FROM shop_line WHERE region = 1 AND num = 1;
SELECT id FROM shop_line WHERE region = 2 AND num = 2;
SELECT id FROM shop_line WHERE region = 3 AND num = 3;
SELECT id FROM shop_line WHERE region = 1 AND num = 2;
SELECT id FROM shop_line WHERE region = 2 AND num = 3;
SELECT note FROM shop_order WHERE region = 1 AND num = 1;
SELECT note FROM shop_order WHERE region = 2 AND num = 2;
SELECT note FROM shop_order WHERE region = 3 AND num = 3;
SELECT note FROM shop_order WHERE region = 1 AND num = 2;
SELECT note FROM shop_order WHERE region = 2 AND num = 3;
SELECT id FROM shop_line WHERE parent_line = 1;
SELECT id FROM shop_line WHERE parent_line = 2;
SELECT id FROM shop_line WHERE parent_line = 3;
SELECT id FROM shop_line WHERE parent_line = 4;
SELECT id FROM shop_line WHERE parent_line = 5;
COMMIT;
SELECT query, relation, foreign_key, suggestion FROM rp_stats ORDER BY query COLLATE "C";

-- Partitioned tables: reported as the partitioned table
CREATE TABLE event (id int, post_id int REFERENCES blog_post (id), kind text) PARTITION BY RANGE (id);
CREATE TABLE event_1 PARTITION OF event FOR VALUES FROM (0) TO (100);
CREATE TABLE event_2 PARTITION OF event FOR VALUES FROM (100) TO (200);
INSERT INTO event SELECT g, 1 + g % 30, 'view' FROM generate_series(0, 199) g;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT count(*) FROM event WHERE post_id = 1;
SELECT count(*) FROM event WHERE post_id = 2;
SELECT count(*) FROM event WHERE post_id = 3;
SELECT count(*) FROM event WHERE post_id = 4;
SELECT count(*) FROM event WHERE post_id = 5;
COMMIT;
SELECT query, relation, foreign_key FROM rp_stats;

-- No foreign key explains the loop: the relation and generic advice.  A
-- statement that reads no table ("SELECT 1") is never counted.
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id FROM blog_tag WHERE name = 'tag 1';
SELECT id FROM blog_tag WHERE name = 'tag 2';
SELECT id FROM blog_tag WHERE name = 'tag 3';
SELECT id FROM blog_tag WHERE name = 'tag 4';
SELECT id FROM blog_tag WHERE name = 'tag 5';
SELECT 1 AS one;
SELECT 2 AS one;
SELECT 3 AS one;
SELECT 4 AS one;
SELECT 5 AS one;
COMMIT;
SELECT query, source_query, relation, foreign_key, suggestion FROM rp_stats ORDER BY query COLLATE "C";

-- queryid: NULL unless core computes one; then it is core's
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET compute_query_id = on;
BEGIN;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 2;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 5;
COMMIT;
SET compute_query_id = off;
BEGIN;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
SELECT title FROM blog_post WHERE id = 5;
COMMIT;
RESET compute_query_id;
SELECT s.query, s.queryid IS NOT NULL AS has_queryid, s.fingerprint <> 0 AS has_fingerprint,
       s.total_time >= 0 AS timed, s.first_seen <= s.last_seen AS seen_in_order,
       s.userid = current_user::regrole AS by_current_user
FROM relprefetch.stats s WHERE s.query NOT LIKE '%relprefetch.%' ORDER BY s.query COLLATE "C";

-- dropping a table keeps its history in the view
DROP TABLE event;
SELECT count(*) AS kept FROM rp_stats;
