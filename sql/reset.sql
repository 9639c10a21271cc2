--
-- reset: all entries, or those of one user, database or fingerprint; and
-- the info view
--
SELECT relprefetch.reset() IS NOT NULL AS reset;
SELECT entries, max_entries, evictions, stats_reset <= now() AS reset_in_past
FROM relprefetch.info;

BEGIN;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 2;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 5;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
SELECT title FROM blog_post WHERE id = 5;
COMMIT;
SELECT query FROM rp_stats ORDER BY query COLLATE "C";
SELECT entries FROM relprefetch.info;

-- by fingerprint
SELECT relprefetch.reset(0, 0, fingerprint) IS NOT NULL AS reset
FROM relprefetch.stats WHERE query LIKE '%blog_post%';
SELECT query FROM rp_stats ORDER BY query COLLATE "C";

-- another user or database: nothing here matches
SELECT relprefetch.reset(0, 1, 0) IS NOT NULL AS reset;
SELECT relprefetch.reset('pg_monitor'::regrole, 0, 0) IS NOT NULL AS reset;
SELECT query FROM rp_stats ORDER BY query COLLATE "C";

-- this user in this database
SELECT relprefetch.reset(current_user::regrole,
                         (SELECT oid FROM pg_database WHERE datname = current_database()))
       IS NOT NULL AS reset;
SELECT count(*) AS left_over FROM rp_stats;

-- a loop continuing after a reset is counted again from there
BEGIN;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 2;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 5;
SELECT relprefetch.reset() IS NOT NULL AS reset;
SELECT name FROM blog_author WHERE id = 6;
SELECT name FROM blog_author WHERE id = 7;
COMMIT;
SELECT query, units, calls, max_repeats FROM rp_stats;

-- a full reset clears the evictions and sets the reset time
SELECT relprefetch.reset() AS reset_time \gset
SELECT evictions, stats_reset = :'reset_time' AS reset_time_kept FROM relprefetch.info;
-- NULL arguments: the function is strict
SELECT relprefetch.reset(NULL) IS NULL AS strict;
