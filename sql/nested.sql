--
-- nested: statements run inside functions count only with track = all
--
SELECT relprefetch.reset() IS NOT NULL AS reset;

CREATE FUNCTION author_names_loop(n int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    k int := 0;
BEGIN
    FOR r IN SELECT id, author_id FROM blog_post ORDER BY id LIMIT n LOOP
        PERFORM name FROM blog_author WHERE id = r.author_id;
        k := k + 1;
    END LOOP;
    RETURN k;
END $$;

-- track = top: one top-level statement, nothing nested is counted
BEGIN;
SELECT author_names_loop(6);
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;
SELECT count(*) AS repeats FROM rp_stats;

-- track = all: the loop inside the function is an N+1
SET relprefetch.track = 'all';
BEGIN;
SELECT author_names_loop(6);
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;
SELECT query, units, calls, max_repeats, relation, foreign_key FROM rp_stats;

-- the statements of a DO block are nested too
SELECT relprefetch.reset() IS NOT NULL AS reset;
DISCARD ALL;
SET relprefetch.track = 'all';
DO $$
BEGIN
    FOR i IN 1..5 LOOP
        PERFORM title FROM blog_post WHERE author_id = i;
    END LOOP;
END $$;
SELECT query, units, calls, max_repeats, relation, foreign_key FROM rp_stats;
RESET relprefetch.track;

-- with track = top, a DO block's statements are not counted
DISCARD ALL;
DO $$
BEGIN
    FOR i IN 1..5 LOOP
        PERFORM title FROM blog_post WHERE id = i;
    END LOOP;
END $$;
SELECT count(*) AS counted FROM rp_unit;

-- Parallel workers never count: the leader counts each statement once,
-- however many workers run it.
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
-- force_parallel_mode is called debug_parallel_query from PostgreSQL 16
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
            THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END
       AS force_parallel \gset
SET :force_parallel = on;
BEGIN;
SELECT count(*) FROM blog_comment WHERE body LIKE 'comment 1%';
SELECT count(*) FROM blog_comment WHERE body LIKE 'comment 2%';
SELECT count(*) FROM blog_comment WHERE body LIKE 'comment 3%';
-- they run in parallel workers
EXPLAIN (COSTS OFF)
SELECT count(*) FROM blog_comment WHERE body LIKE 'comment 4%';
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
COMMIT;
RESET :force_parallel;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

-- A statement that wraps a query counts as the client's statement.
BEGIN;
CREATE TEMP TABLE recent_posts AS SELECT id FROM blog_post WHERE id > 25;
DECLARE c CURSOR FOR SELECT id FROM blog_post ORDER BY id;
FETCH 2 FROM c;
CLOSE c;
SELECT query, calls, repeated FROM rp_unit ORDER BY query COLLATE "C";
ROLLBACK;
