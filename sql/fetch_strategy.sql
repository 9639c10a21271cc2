-- How fetches read the related tables: a fixed number of queries per batch
-- of parent rows, through the indexes for a few parents, by one scan for
-- many.  pg_stat_xact_user_tables counts the scans of this transaction:
-- an index scan of a list of keys counts once per key up to PostgreSQL 16,
-- from 17 once per descent of the index, which depends on how the keys
-- fall on its pages (per_key_or_batch accepts once per key or per batch;
-- where that is not enough, the rows fetched through the index tell).
CREATE SCHEMA fs;
SET search_path = fs, public;
CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE child (id int PRIMARY KEY,
                    parent_id int NOT NULL REFERENCES parent,
                    note text NOT NULL);
CREATE INDEX ON child (parent_id);
INSERT INTO parent SELECT i, 'parent ' || i FROM generate_series(1, 2000) i;
INSERT INTO child SELECT i, 1 + i % 2000, 'child ' || i FROM generate_series(1, 10000) i;
ANALYZE parent, child;

-- Scans of rel since mark(rel) in this transaction.  (The counters of
-- pg_stat_xact_user_tables may still hold earlier transactions' counts that
-- were not flushed yet, hence the difference.  An index scan by "= ANY"
-- counts one per key.)
CREATE TEMP TABLE marks (rel regclass, seq_scan bigint, idx_scan bigint,
                         idx_fetch bigint);
CREATE FUNCTION mark(r regclass) RETURNS void LANGUAGE sql AS $$
  DELETE FROM marks WHERE rel = r;
  INSERT INTO marks SELECT r, seq_scan, coalesce(idx_scan, 0),
                           coalesce(idx_tup_fetch, 0)
  FROM pg_stat_xact_user_tables WHERE relid = r;
$$;
-- Rows of rel fetched through an index since mark(rel)
CREATE FUNCTION index_rows(r regclass) RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(s.idx_tup_fetch, 0) - m.idx_fetch
  FROM pg_stat_xact_user_tables s JOIN marks m ON m.rel = s.relid
  WHERE s.relid = r
$$;
CREATE FUNCTION scans(r regclass, OUT seq_scans bigint, OUT index_scans bigint)
LANGUAGE sql AS $$
  SELECT s.seq_scan - m.seq_scan, coalesce(s.idx_scan, 0) - m.idx_scan
  FROM pg_stat_xact_user_tables s JOIN marks m ON m.rel = s.relid
  WHERE s.relid = r
$$;

-- a page of 20 parents: the children come through the index on
-- parent_id, no scan of the table; their keys, 1 to 20, are all the
-- values of their range, so one range scan of the index (the range form)
BEGIN;
SELECT mark('child');
SELECT count(*), sum(json_array_length(j->'child'))
FROM relprefetch.fetch_json('parent',
  '{"where": "id <= 20", "order_by": "id", "include": ["child"]}') AS j;
SELECT seq_scans, index_scans IN (20, 1) AS per_key_or_batch FROM scans('child');
COMMIT;

-- every parent: one scan of the children, however many parents
BEGIN;
SELECT mark('child');
SELECT count(*), sum(json_array_length(j->'child'))
FROM relprefetch.fetch_json('parent', '{"include": ["child"]}') AS j;
SELECT * FROM scans('child');
COMMIT;

-- batches of 500 parents, a quarter of the table each: each batch's keys
-- through the index, no scan of the table; one query per batch, never one
-- per parent.  Each batch's keys fill their range (the parents are read in
-- id order here): one range scan of the index each, 4 in all
BEGIN;
SELECT mark('child');
SET LOCAL relprefetch.fetch_batch_size = 500;
SELECT count(*), sum(json_array_length(j->'child'))
FROM relprefetch.fetch_json('parent', '{"include": ["child"]}') AS j;
SELECT * FROM scans('child');
COMMIT;

-- keys that fill less than half their range (every third parent): one
-- probe of the index per key (the keyed form, "= ANY"), 667 keys in two
-- batches, which fetch only their own 3,335 children (a range would read
-- the others between them too)
BEGIN;
SELECT mark('child');
SET LOCAL relprefetch.fetch_batch_size = 500;
SELECT count(*), sum(json_array_length(j->'child'))
FROM relprefetch.fetch_json('parent',
  '{"where": "id % 3 = 1", "include": ["child"]}') AS j;
SELECT seq_scans, index_rows('child') FROM scans('child');
COMMIT;

-- keys that fill three quarters of their range: the range form reads the
-- children of the parents left out as well, and drops them; the result is
-- plain SQL's, with an order and a limit per parent, for keys of int2,
-- int4 and int8
CREATE TABLE kid2 (id int PRIMARY KEY, parent_id int2 NOT NULL, note text NOT NULL);
CREATE TABLE kid8 (id int PRIMARY KEY, parent_id int8 NOT NULL, note text NOT NULL);
CREATE TABLE parent2 (id int2 PRIMARY KEY);
CREATE TABLE parent8 (id int8 PRIMARY KEY);
INSERT INTO parent2 SELECT i FROM generate_series(1, 2000) i;
INSERT INTO parent8 SELECT i FROM generate_series(1, 2000) i;
ALTER TABLE kid2 ADD FOREIGN KEY (parent_id) REFERENCES parent2;
ALTER TABLE kid8 ADD FOREIGN KEY (parent_id) REFERENCES parent8;
INSERT INTO kid2 SELECT id, parent_id, note FROM child;
INSERT INTO kid8 SELECT id, parent_id, note FROM child;
CREATE INDEX ON kid2 (parent_id);
CREATE INDEX ON kid8 (parent_id);
ANALYZE parent2, parent8, kid2, kid8;
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 300;
SELECT mark('child'), mark('kid2'), mark('kid8');
SELECT (SELECT string_agg((j->>'id') || ' ' || (j->'c')::jsonb::text, E'\n' ORDER BY (j->>'id')::int)
        FROM relprefetch.fetch_json(p::regclass, ('{"where": "id % 4 <> 0", "order_by": "id",
          "include": {"c": {"path": "' || c || '", "order_by": "id DESC", "limit": 3}}}')::jsonb) AS j) =
       (SELECT string_agg(p.id || ' ' ||
                 (SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'parent_id', x.parent_id, 'note', x.note)
                                            ORDER BY x.id DESC), '[]')
                  FROM (SELECT * FROM child k WHERE k.parent_id = p.id
                        ORDER BY k.id DESC LIMIT 3) x)::text, E'\n' ORDER BY p.id)
        FROM parent p WHERE p.id % 4 <> 0) AS same_as_sql, c
FROM (VALUES ('parent', 'child'), ('parent2', 'kid2'), ('parent8', 'kid8')) v(p, c);
-- one range scan per batch of 300 parents (child's count holds the plain
-- SQL's scans as well)
SELECT r, index_scans FROM (VALUES ('kid2'), ('kid8')) v(r), scans(r::regclass);
COMMIT;

-- the same for fetch_children, and for a forward foreign key
BEGIN;
SELECT mark('child');
SELECT count(*), sum(cardinality(children))
FROM relprefetch.fetch_children(NULL::parent, NULL::child[]);
SELECT * FROM scans('child');
COMMIT;
BEGIN;
SELECT mark('parent');
SELECT count(*), count(j->'parent')
FROM relprefetch.fetch_json('child', '{"where": "id <= 10", "include": ["parent"]}') AS j;
SELECT seq_scans, index_scans IN (10, 1) AS per_key_or_batch FROM scans('parent');
COMMIT;

-- batching changes nothing in the result
SET relprefetch.fetch_batch_size = 7;
SELECT md5(string_agg(j::text, E'\n' ORDER BY (j->>'id')::int)) =
       (SELECT md5(string_agg(j::text, E'\n' ORDER BY (j->>'id')::int))
        FROM relprefetch.fetch_json('parent', '{"include": ["child"]}') AS j
        WHERE current_setting('relprefetch.fetch_batch_size') IS NOT NULL)
       AS same_with_batches_of_7
FROM relprefetch.fetch_json('parent', '{"include": ["child"]}') AS j;
RESET relprefetch.fetch_batch_size;

DROP SCHEMA fs CASCADE;
RESET search_path;
