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
