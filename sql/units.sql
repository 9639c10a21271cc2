--
-- units: what makes a unit of work, and what ends one
--
SELECT relprefetch.reset() IS NOT NULL AS reset;

-- An explicit transaction block is one unit; a loop of five lookups in it
-- is a repeat.
BEGIN;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
SELECT title FROM blog_post WHERE id = 5;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;
SELECT query, units, calls, max_repeats FROM rp_stats;

-- The next block is another unit: four lookups are not a repeat...
BEGIN;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
COMMIT;
SELECT query, units, calls, max_repeats FROM rp_stats;

-- ... and seven are a second unit, with a new maximum.
BEGIN;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
SELECT title FROM blog_post WHERE id = 5;
SELECT title FROM blog_post WHERE id = 6;
SELECT title FROM blog_post WHERE id = 7;
COMMIT;
SELECT query, units, calls, max_repeats FROM rp_stats;

-- Savepoints and ROLLBACK TO stay in the unit: statements rolled back to a
-- savepoint ran all the same and count, and an error inside a savepoint
-- does not end the unit.
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT name FROM blog_tag WHERE id = 1;
SAVEPOINT s1;
SELECT name FROM blog_tag WHERE id = 2;
SELECT name FROM blog_tag WHERE id = 3;
SELECT name FROM blog_tag WHERE id = 1 / 0;
ROLLBACK TO SAVEPOINT s1;
SELECT name FROM blog_tag WHERE id = 4;
SELECT name FROM blog_tag WHERE id = 5;
RELEASE SAVEPOINT s1;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;
-- the rolled-back transaction was still a unit with a repeat
SELECT query, units, calls, max_repeats FROM rp_stats;

-- A transaction that fails is a unit too; after ROLLBACK a new one begins.
BEGIN;
SELECT name FROM blog_tag WHERE id = 1;
SELECT name FROM blog_tag WHERE id = 1 / 0;
ROLLBACK;
BEGIN;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;

-- Autocommit statements form one unit while the gaps between them stay
-- under relprefetch.unit_gap (5 s here, from regress.conf).
SELECT relprefetch.reset() IS NOT NULL AS reset;
DISCARD ALL;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT name FROM blog_country WHERE id = 4;
SELECT name FROM blog_country WHERE id = 5;
SELECT query, units, calls, max_repeats, source_query FROM rp_stats;

-- DISCARD ALL (what poolers send between clients) ends the unit.
DISCARD ALL;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
SELECT name FROM blog_country WHERE id = 1;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";

-- So does RESET ALL.
RESET ALL;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";

-- A new explicit transaction ends the autocommit unit before it.
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
BEGIN;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;

-- Idle time longer than unit_gap ends the unit.  The DO block is a
-- utility statement and not counted: it only makes the session idle from
-- relprefetch's point of view.
SET relprefetch.unit_gap = '100ms';
DISCARD ALL;
SET relprefetch.unit_gap = '100ms';
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
DO $$ BEGIN PERFORM pg_sleep(0.3); END $$;
SELECT name FROM blog_country WHERE id = 3;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
RESET relprefetch.unit_gap;

-- Turning detection off stops the counting; turning it on resumes it.
BEGIN;
SELECT name FROM blog_country WHERE id = 1;
SET LOCAL relprefetch.enabled = off;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SET LOCAL relprefetch.enabled = on;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;

-- A higher threshold needs more executions.
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SET LOCAL relprefetch.threshold = 8;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT name FROM blog_country WHERE id = 4;
SELECT name FROM blog_country WHERE id = 5;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT count(*) AS repeats FROM rp_stats;
SELECT name FROM blog_country WHERE id = 3;
SELECT query, units, calls, max_repeats FROM rp_stats;
COMMIT;

-- end_unit() ends the unit inside a transaction: two tests of a test case
-- class, each running the same statement three times, are two units, so
-- neither reaches the threshold of 5.
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT relprefetch.end_unit();
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
SELECT count(*) AS repeats FROM rp_stats;
COMMIT;
-- without it, the six executions are one unit and a repeat
BEGIN;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT name FROM blog_country WHERE id = 1;
SELECT name FROM blog_country WHERE id = 2;
SELECT name FROM blog_country WHERE id = 3;
SELECT query, calls FROM rp_stats;
COMMIT;
