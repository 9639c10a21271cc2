-- How fetches read the related tables: a fixed number of queries per batch
-- of parent rows, through the indexes for a few parents, by one scan for
-- many.  pg_stat_xact_user_tables counts the scans of this transaction:
-- an index scan of a list of keys counts once per key up to PostgreSQL 16,
-- once per scan from 17 (per_key_or_batch accepts either).
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
CREATE TEMP TABLE marks (rel regclass, seq_scan bigint, idx_scan bigint);
CREATE FUNCTION mark(r regclass) RETURNS void LANGUAGE sql AS $$
  DELETE FROM marks WHERE rel = r;
  INSERT INTO marks SELECT r, seq_scan, coalesce(idx_scan, 0)
  FROM pg_stat_xact_user_tables WHERE relid = r;
$$;
CREATE FUNCTION scans(r regclass, OUT seq_scans bigint, OUT index_scans bigint)
LANGUAGE sql AS $$
  SELECT s.seq_scan - m.seq_scan, coalesce(s.idx_scan, 0) - m.idx_scan
  FROM pg_stat_xact_user_tables s JOIN marks m ON m.rel = s.relid
  WHERE s.relid = r
$$;

-- a page of 20 parents: the children come through the index on
-- parent_id, one probe per parent key, no scan of the table
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
-- through the index (one probe per key, 2000 in all), no scan of the table;
-- one query per batch, never one per parent
BEGIN;
SELECT mark('child');
SET LOCAL relprefetch.fetch_batch_size = 500;
SELECT count(*), sum(json_array_length(j->'child'))
FROM relprefetch.fetch_json('parent', '{"include": ["child"]}') AS j;
SELECT seq_scans, index_scans IN (2000, 4) AS per_key_or_batch FROM scans('child');
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
