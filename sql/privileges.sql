--
-- privileges: who may reset, and whose query texts a role may read
--
SELECT relprefetch.reset() IS NOT NULL AS reset;
CREATE ROLE regress_rp_alice LOGIN;
CREATE ROLE regress_rp_bob LOGIN;
CREATE ROLE regress_rp_carol LOGIN IN ROLE pg_read_all_stats;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO regress_rp_alice, regress_rp_bob, regress_rp_carol;

-- alice and bob each run a loop
SET ROLE regress_rp_alice;
BEGIN;
SELECT name FROM blog_author WHERE id = 1;
SELECT name FROM blog_author WHERE id = 2;
SELECT name FROM blog_author WHERE id = 3;
SELECT name FROM blog_author WHERE id = 4;
SELECT name FROM blog_author WHERE id = 5;
COMMIT;
RESET ROLE;
SET ROLE regress_rp_bob;
BEGIN;
SELECT title FROM blog_post WHERE id = 1;
SELECT title FROM blog_post WHERE id = 2;
SELECT title FROM blog_post WHERE id = 3;
SELECT title FROM blog_post WHERE id = 4;
SELECT title FROM blog_post WHERE id = 5;
COMMIT;

-- bob sees the counters of alice's row, not its texts
SELECT username, query, calls, source_query IS NULL AS no_source,
       suggestion IS NULL AS no_suggestion, relation
FROM rp_stats ORDER BY username COLLATE "C";

-- and may not reset
SELECT relprefetch.reset();
RESET ROLE;

-- carol, with pg_read_all_stats, reads every text
SET ROLE regress_rp_carol;
SELECT username, query, calls, suggestion IS NULL AS no_suggestion
FROM rp_stats ORDER BY username COLLATE "C";
SELECT relprefetch.reset();
RESET ROLE;

-- a superuser may grant the right to reset
GRANT EXECUTE ON FUNCTION relprefetch.reset(oid, oid, bigint) TO regress_rp_bob;
SET ROLE regress_rp_bob;
SELECT relprefetch.reset('regress_rp_bob'::regrole) IS NOT NULL AS reset_own;
SELECT username, calls FROM rp_stats ORDER BY username COLLATE "C";
RESET ROLE;

-- the functions run under any search_path
SET search_path = pg_catalog;
SELECT count(*) >= 0 AS ok FROM relprefetch.stats;
SELECT entries >= 0 AS ok FROM relprefetch.info;
RESET search_path;

SELECT relprefetch.reset() IS NOT NULL AS reset;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM regress_rp_alice, regress_rp_bob, regress_rp_carol;
REVOKE EXECUTE ON FUNCTION relprefetch.reset(oid, oid, bigint) FROM regress_rp_bob;
DROP ROLE regress_rp_alice, regress_rp_bob, regress_rp_carol;
