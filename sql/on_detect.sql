--
-- on_detect: what happens when a query shape reaches the threshold
--
SELECT relprefetch.reset() IS NOT NULL AS reset;

-- notice and warning: once per shape per unit, at the threshold
SET relprefetch.on_detect = notice;
BEGIN;
SELECT id, title, author_id FROM blog_post ORDER BY id LIMIT 6;
SELECT name FROM blog_author WHERE id = 2;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 5;
SELECT name FROM blog_author WHERE id = 6;
SELECT name FROM blog_author WHERE id = 7;
COMMIT;

SET relprefetch.on_detect = warning;
BEGIN;
SELECT title FROM blog_post WHERE author_id = 1;
SELECT title FROM blog_post WHERE author_id = 2;
SELECT title FROM blog_post WHERE author_id = 3;
SELECT title FROM blog_post WHERE author_id = 4;
SELECT title FROM blog_post WHERE author_id = 5;
COMMIT;

-- log: to the server log only, nothing for the client
SET relprefetch.on_detect = log;
BEGIN;
SELECT body FROM blog_comment WHERE post_id = 1;
SELECT body FROM blog_comment WHERE post_id = 2;
SELECT body FROM blog_comment WHERE post_id = 3;
SELECT body FROM blog_comment WHERE post_id = 4;
SELECT body FROM blog_comment WHERE post_id = 5;
COMMIT;

-- error: the statement that reaches the threshold fails, and is counted
SET relprefetch.on_detect = error;
BEGIN;
SELECT name FROM blog_tag WHERE id = 1;
SELECT name FROM blog_tag WHERE id = 2;
SELECT name FROM blog_tag WHERE id = 3;
SELECT name FROM blog_tag WHERE id = 4;
SELECT name FROM blog_tag WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT query, units, calls, max_repeats FROM rp_stats
WHERE query LIKE '%blog_tag%';

-- error inside a savepoint: roll back to it and go on; the shape already
-- raised its error in this unit, so the loop can finish, and it is all
-- counted.
BEGIN;
SELECT name FROM blog_tag WHERE id = 1;
SELECT name FROM blog_tag WHERE id = 2;
SELECT name FROM blog_tag WHERE id = 3;
SELECT name FROM blog_tag WHERE id = 4;
SAVEPOINT before_fifth;
SELECT name FROM blog_tag WHERE id = 5;
ROLLBACK TO SAVEPOINT before_fifth;
SELECT name FROM blog_tag WHERE id = 5;
SELECT name FROM blog_tag WHERE id = 6;
SELECT query, calls, repeated FROM rp_unit WHERE query LIKE '%blog_tag%';
COMMIT;
SELECT query, units, calls, max_repeats FROM rp_stats
WHERE query LIKE '%blog_tag%';

-- in autocommit mode too
DISCARD ALL;
SET relprefetch.on_detect = error;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT name FROM blog_country WHERE id = 4;
SELECT name FROM blog_country WHERE id = 5;
SELECT name FROM blog_country WHERE id = 1;
RESET relprefetch.on_detect;

SELECT query, units, calls, max_repeats FROM rp_stats ORDER BY query COLLATE "C";
