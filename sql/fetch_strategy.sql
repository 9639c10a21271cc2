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

-- A to-one include whose table is small next to the keys the call looks
-- up is read once for the whole call, with its own includes, and every
-- batch takes its rows from there: 2,000 items in batches of 200 (10
-- batches) look up 50 owners each time, 500 keys in all, more than twice
-- the 50 owners: one scan of the owners and one of their regions.  The
-- labels (6,000, one per item) are not: the call looks up 2,000 of them,
-- fewer than twice the table's rows, so each batch reads its own 200
-- through the index.
CREATE TABLE region (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE owner (id int PRIMARY KEY, name text NOT NULL,
                    region_id int REFERENCES region,
                    secret text NOT NULL DEFAULT 'hidden');
CREATE TABLE label (id int PRIMARY KEY, text text NOT NULL);
CREATE TABLE item (id int PRIMARY KEY, owner_id int REFERENCES owner,
                   label_id int REFERENCES label, title text NOT NULL);
INSERT INTO region SELECT i, 'region ' || i FROM generate_series(1, 5) i;
INSERT INTO owner SELECT i, 'owner ' || i, CASE WHEN i % 10 <> 0 THEN 1 + i % 5 END
FROM generate_series(1, 50) i;
INSERT INTO label SELECT i, 'label ' || i FROM generate_series(1, 6000) i;
INSERT INTO item SELECT i, CASE WHEN i % 13 <> 0 THEN 1 + (i * 7) % 50 END,
                        i * 3, 'item ' || i
FROM generate_series(1, 2000) i;
ANALYZE region, owner, label, item;
-- The same objects by plain SQL, the include's "where" and the region's
-- as conditions of its subqueries (a function, run as its caller)
CREATE FUNCTION item_sql(OUT id int, OUT j jsonb) RETURNS SETOF record
LANGUAGE sql AS $$
SELECT i.id, jsonb_build_object('id', i.id, 'title', i.title,
  'owner', (SELECT jsonb_build_object('id', o.id, 'name', o.name,
              'region', (SELECT jsonb_build_object('id', r.id, 'name', r.name)
                         FROM region r WHERE r.id = o.region_id AND r.id <> 3))
            FROM owner o WHERE o.id = i.owner_id AND o.name <> 'owner 8'),
  'label', (SELECT jsonb_build_object('text', l.text) FROM label l
            WHERE l.id = i.label_id))
FROM item i
$$;
CREATE FUNCTION item_fetch() RETURNS SETOF json LANGUAGE sql AS $$
  SELECT relprefetch.fetch_json('fs.item', '{"columns": ["id", "title"],
    "include": {"owner": {"columns": ["id", "name"], "where": "name <> ''owner 8''",
                          "include": {"region": {"where": "id <> 3"}}},
                "label": {"columns": ["text"]}}}')
$$;
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 200;
SELECT (SELECT string_agg(j::jsonb::text, E'\n' ORDER BY (j->>'id')::int)
        FROM item_fetch() AS j) =
       (SELECT string_agg(j::text, E'\n' ORDER BY id) FROM item_sql())
       AS same_as_sql;
COMMIT;
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 200;
SELECT mark('owner'), mark('region'), mark('label');
SELECT count(*) FROM item_fetch();
SELECT r, seq_scans, index_scans FROM (VALUES ('owner'), ('region')) v(r), scans(r::regclass);
SELECT seq_scans, index_rows('label') FROM scans('label');
COMMIT;

-- relprefetch.fetch_keep_size = 0 turns it off, and so does a size the
-- owners (and their regions) do not fit in: one scan of all the owners and
-- of all the regions per batch, since each batch holds all their keys
-- (the setting's error for a value out of range is in guc.sql); the
-- objects are the same
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 200;
SELECT md5(string_agg(j::text, E'\n')) AS kept FROM item_fetch() AS j \gset
SET LOCAL relprefetch.fetch_keep_size = 0;
SELECT mark('owner'), mark('region');
SELECT md5(string_agg(j::text, E'\n')) = :'kept' AS same_when_off FROM item_fetch() AS j;
SELECT r, seq_scans FROM (VALUES ('owner'), ('region')) v(r), scans(r::regclass);
SET LOCAL relprefetch.fetch_keep_size = '1kB';
SELECT mark('owner');
SELECT md5(string_agg(j::text, E'\n')) = :'kept' AS same_when_too_big FROM item_fetch() AS j;
SELECT seq_scans FROM scans('owner');
COMMIT;

-- A kept read that meets more rows than the estimate said (statistics gone
-- stale: here the owners' reltuples set to 1, so that they are thought to
-- fit in 2kB) stops once its rows pass relprefetch.fetch_keep_size, and the
-- call reads the owners batch by batch after all: the same objects, one
-- scan of the owners for the read that stopped, then one per batch (by
-- whichever plan the stale statistics give the batches' query: both kinds
-- of scan are counted)
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 200;
SET LOCAL relprefetch.fetch_keep_size = '2kB';
UPDATE pg_class SET reltuples = 1 WHERE oid = 'owner'::regclass;
SELECT mark('owner');
SELECT md5(string_agg(j::text, E'\n')) = :'kept' AS same_when_stale FROM item_fetch() AS j;
SELECT seq_scans + index_scans AS scans FROM scans('owner');
ROLLBACK;

-- Read as the caller, as every batch's query is: row-level security on
-- the owners (a quarter hidden), column privileges (not "secret"), and the
-- include's own "where", across batches of 150 (14 batches, one read of
-- the owners); the same as plain SQL run by the same role
CREATE ROLE regress_fs_keeper;
GRANT USAGE ON SCHEMA fs TO regress_fs_keeper;
GRANT SELECT ON item, region, label TO regress_fs_keeper;
GRANT SELECT (id, name, region_id) ON owner TO regress_fs_keeper;
ALTER TABLE owner ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_visible ON owner FOR SELECT USING (id % 4 <> 0);
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 150;
SELECT mark('owner');
SET LOCAL ROLE regress_fs_keeper;
SELECT (SELECT string_agg(j::jsonb::text, E'\n' ORDER BY (j->>'id')::int)
        FROM item_fetch() AS j) =
       (SELECT string_agg(j::text, E'\n' ORDER BY id) FROM item_sql())
       AS same_as_sql_under_rls,
       (SELECT count(*) FILTER (WHERE json_typeof(j->'owner') = 'object')
        FROM item_fetch() AS j) AS items_with_owner;
-- a column the role may not read is refused, as in the keyed query
SELECT count(*) FROM relprefetch.fetch_json('fs.item',
  '{"include": {"owner": {"columns": ["id", "secret"]}}}');
ROLLBACK;
BEGIN;
SET LOCAL relprefetch.fetch_batch_size = 150;
SELECT mark('owner');
SET LOCAL ROLE regress_fs_keeper;
SELECT count(*) FROM item_fetch();
RESET ROLE;
SELECT seq_scans FROM scans('owner');
COMMIT;

DROP SCHEMA fs CASCADE;
DROP ROLE regress_fs_keeper;
RESET search_path;
