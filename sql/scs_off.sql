--
-- scs_off: standard_conforming_strings = off, under which a backslash in
-- '...' escapes the next character, so that the same text is another
-- expression.  PostgreSQL 19 removed the setting (off is refused), so the
-- Makefile runs this file only on earlier majors; what it tests cannot
-- happen on 19.  It checks that fragments are read as the server reads
-- them, with the session's setting (the fetch plan cache keeps a plan per
-- setting), that an attacker cannot use the difference to escape a
-- fragment, and that a suggestion whose source can no longer be parsed the
-- way it ran says so.
--
CREATE SCHEMA scs;
SET search_path = scs, public;
CREATE TABLE author (id int PRIMARY KEY, name text);
CREATE TABLE post (id int PRIMARY KEY, title text,
                   author_id int REFERENCES author (id), draft bool NOT NULL);
CREATE TABLE comment (id int PRIMARY KEY, post_id int REFERENCES post (id),
                      body text);
INSERT INTO author SELECT a, 'a' || a FROM generate_series(1, 6) a;
-- author_id by post: 1:3 2:1 3:4 4:1 5:6 6:2; post 6 is a draft
INSERT INTO post VALUES (1, 'p1', 3, false), (2, 'p2', 1, false),
                        (3, 'p3', 4, false), (4, 'p4', 1, false),
                        (5, 'p5', 6, false), (6, 'p6', 2, true);
INSERT INTO comment SELECT c, (c - 1) / 2 + 1, 'b' || c
FROM generate_series(1, 12) c;
SET escape_string_warning = off;

-- a fragment is read again when standard_conforming_strings changes: the
-- same text is one expression with it off and a refused one with it on
-- (the plan made under off is not taken from the cache under on)
SET standard_conforming_strings = off;
SELECT count(*) FROM relprefetch.fetch_json('post', jsonb_build_object('where', $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$));
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$);
SET standard_conforming_strings = on;
SELECT count(*) FROM relprefetch.fetch_json('post', jsonb_build_object('where', $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$));
SELECT count(*) FROM relprefetch.fetch_children(NULL::post, NULL::comment[], parent_where => $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$);

-- the same text from a role that row-level security limits: with the
-- setting off it is one condition, and the "OR (true" inside the string
-- does not reach the rows the policy hides (the draft), nor does the
-- comment after it cut anything off; with it on, refused (security.sql
-- has the on case among its attacks)
CREATE ROLE regress_rp_scs;
GRANT USAGE ON SCHEMA scs TO regress_rp_scs;
GRANT SELECT ON post, comment TO regress_rp_scs;
ALTER TABLE post ENABLE ROW LEVEL SECURITY;
CREATE POLICY published ON post USING (NOT draft);
SET SESSION AUTHORIZATION regress_rp_scs;
SET standard_conforming_strings = on;
SELECT j FROM relprefetch.fetch_json('post', jsonb_build_object('columns', '["id"]'::jsonb, 'where', $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$)) j;
SET standard_conforming_strings = off;
SELECT j FROM relprefetch.fetch_json('post', jsonb_build_object('columns', '["id"]'::jsonb, 'order_by', 'id', 'where', $f$id > 0 AND 'x\' ) OR (true --' <> ''$f$)) j;
RESET standard_conforming_strings;
RESET SESSION AUTHORIZATION;
ALTER TABLE post DISABLE ROW LEVEL SECURITY;

-- a suggestion whose source's text cannot be parsed again the way it ran
-- (standard_conforming_strings changed in between): nothing fails, and
-- the suggestion says so
SET relprefetch.require_proof = on;
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SET LOCAL standard_conforming_strings = off;
SELECT id, author_id FROM post WHERE title <> 'x\'y' ORDER BY id;
SET LOCAL standard_conforming_strings = on;
SELECT name FROM author WHERE id = 3;
SELECT name FROM author WHERE id = 1;
SELECT name FROM author WHERE id = 4;
SELECT name FROM author WHERE id = 1;
SELECT name FROM author WHERE id = 6;
COMMIT;
SELECT suggestion, suggested_call FROM relprefetch.stats;

RESET relprefetch.require_proof;
RESET escape_string_warning;
SELECT relprefetch.reset() IS NOT NULL AS reset;
SET client_min_messages = warning;
DROP SCHEMA scs CASCADE;
RESET client_min_messages;
RESET search_path;
DROP ROLE regress_rp_scs;
