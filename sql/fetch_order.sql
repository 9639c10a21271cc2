--
-- fetch_order: an include's order applied to each parent's rows after
-- they are read (rp_fetch_sort.c), checked against ORDER BY in plain SQL:
-- rows stored out of order, every direction and NULLS placement, several
-- types and collations, groups of one row to a thousand, several batches;
-- and the orders left to the query (expressions, COLLATE, a qualified
-- name, a column of a related row, a per-parent limit), which give the
-- same rows as before
--
CREATE SCHEMA fo;
SET search_path = fo, public;
CREATE DOMAIN fo.score AS integer;
CREATE TABLE fo.parent (id integer PRIMARY KEY, name text);
CREATE TABLE fo.child (
	id integer PRIMARY KEY,
	parent_id integer REFERENCES fo.parent,
	n integer,
	t text,
	c text COLLATE "C",
	ts timestamptz,
	d numeric,
	b boolean,
	arr integer[],
	s fo.score,
	pt point
);
INSERT INTO fo.parent SELECT i, 'parent ' || i FROM generate_series(1, 40) i;
-- stored in an order unrelated to id, n or t; parent 40 has 1,000 rows,
-- parent 39 one, parent 38 none
INSERT INTO fo.child
SELECT i, p, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 11 END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE chr(65 + (i * 13) % 26) || chr(97 + i % 26) END,
       chr(65 + (i * 17) % 26) || chr(97 + (i * 3) % 26),
       timestamptz '2026-01-01' + ((i * 7919) % 1000) * interval '1 hour',
       ((i * 31) % 50) / 7.0, i % 3 = 0, ARRAY[(i * 11) % 4, i % 5],
       (i * 13) % 9, point(i, i)
FROM (SELECT i, CASE WHEN i <= 1000 THEN 40 WHEN i = 1001 THEN 39
                     ELSE 1 + (i * 7) % 37 END AS p
      FROM generate_series(1, 1600) i) g
ORDER BY (i * 7919) % 1601;
ANALYZE fo.parent, fo.child;
-- the same rows, ordered by "ord" in plain SQL: as jsonb, one per parent
CREATE FUNCTION fo.by_sql(ord text) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'SELECT jsonb_build_object(''id'', p.id, ''child'',
		        coalesce((SELECT jsonb_agg(jsonb_build_object(''id'', child.id) ORDER BY %s)
		                  FROM fo.child WHERE child.parent_id = p.id), ''[]''))
		 FROM fo.parent p ORDER BY p.id', ord);
END $$;
CREATE FUNCTION fo.by_fetch(include jsonb) RETURNS SETOF jsonb LANGUAGE sql AS $$
	SELECT j::jsonb FROM relprefetch.fetch_json('fo.parent',
		jsonb_build_object('columns', '["id"]'::jsonb, 'order_by', 'id',
		                   'include', jsonb_build_object('child',
		                       '{"columns": ["id"]}'::jsonb || include))) j
$$;
-- whether fetch_json's objects are plain SQL's, in the same order
CREATE FUNCTION fo.same(include jsonb, ord text) RETURNS boolean LANGUAGE sql AS $$
	SELECT array_agg(f ORDER BY n) = (SELECT array_agg(s) FROM fo.by_sql(ord) s)
	FROM fo.by_fetch(include) WITH ORDINALITY AS x(f, n)
$$;
-- the rows arrive out of order: parent 40's first rows by id are not first
SELECT array_agg(id) FROM (SELECT id FROM fo.child WHERE parent_id = 40 LIMIT 5) s;
-- orders applied after the read, each against plain SQL
SELECT o, fo.same(jsonb_build_object('order_by', o), o) AS same
FROM unnest(ARRAY[
	'id', 'id DESC', 'id ASC', 'n, id', 'n DESC, id', 'n NULLS FIRST, id',
	'n ASC NULLS LAST, id DESC', 'n DESC NULLS LAST, id', 't, id',
	't DESC NULLS FIRST, id', 'c, id', 'c DESC, id', 'ts DESC, id',
	'd, id DESC', 'b, n DESC, id', 'arr, id', 's DESC, id',
	'"n", "id"', 'N, ID']) o;
-- "order", the same way
SELECT o, fo.same(jsonb_build_object('order', o), replace(o, 'nulls first', 'NULLS FIRST')) AS same
FROM unnest(ARRAY['id desc', 'n desc, id', 't nulls first, id', 'c, d desc, id']) o;
SELECT fo.same('{"order": ["n desc nulls last", "id"]}', 'n DESC NULLS LAST, id');
-- orders left to the query: the same rows as plain SQL
SELECT o, fo.same(jsonb_build_object('order_by', o), o) AS same
FROM unnest(ARRAY[
	'n + 0, id', 'lower(t), id', 't COLLATE "C", id', 'child.n, child.id',
	'n USING >, id', 'CASE WHEN b THEN 0 ELSE 1 END, id']) o;
-- a per-parent limit is applied as rows arrive: the query sorts
SELECT (SELECT array_agg(j ORDER BY n)
        FROM fo.by_fetch('{"order_by": "n DESC, id", "limit": 3}') WITH ORDINALITY x(j, n)) =
       (SELECT array_agg(jsonb_build_object('id', p.id, 'child', coalesce(
               (SELECT jsonb_agg(jsonb_build_object('id', id) ORDER BY n DESC, id)
                FROM (SELECT id, n FROM fo.child WHERE parent_id = p.id
                      ORDER BY n DESC, id LIMIT 3) s), '[]')) ORDER BY p.id)
        FROM fo.parent p) AS same;
-- several batches, each sorting its own groups
SET relprefetch.fetch_batch_size = 3;
SELECT fo.same('{"order_by": "t DESC, id"}', 't DESC, id');
SELECT fo.same('{"order": "n nulls first, id desc"}', 'n NULLS FIRST, id DESC');
RESET relprefetch.fetch_batch_size;
-- a type with no ordering: the query reports it, as plain SQL would
SELECT count(*) FROM fo.by_fetch('{"order_by": "pt"}');
SELECT count(*) FROM fo.child ORDER BY pt;
-- a column that is not there, or a system column: the query's own message
SELECT count(*) FROM fo.by_fetch('{"order_by": "nope"}');
SELECT fo.same('{"order_by": "ctid"}', 'ctid');
-- fetch_children's child_order_by, in the same way
SELECT bool_and(f.children::text = s.children::text) AS same, count(*)
FROM relprefetch.fetch_children(NULL::fo.parent, NULL::fo.child[],
	child_order_by => 'n DESC NULLS LAST, id') f
JOIN (SELECT p, coalesce((SELECT array_agg(ch ORDER BY n DESC NULLS LAST, id)
                          FROM fo.child ch WHERE ch.parent_id = p.id), '{}') AS children
      FROM fo.parent p) s ON (s.p).id = (f.parent).id;
-- the rows' order columns are the table's, whatever the output keys
SELECT j FROM relprefetch.fetch_json('fo.parent', '{"columns": ["id"], "where": "id = 39 OR id = 2", "order_by": "id",
	"include": {"child": {"columns": [{"n": "id"}, {"id": "n"}], "order_by": "n DESC, id"}}}') j;
SELECT p.id, array_agg(c.id ORDER BY c.n DESC, c.id) FROM fo.parent p JOIN fo.child c ON c.parent_id = p.id
WHERE p.id IN (2, 39) GROUP BY p.id ORDER BY p.id;
DROP SCHEMA fo CASCADE;
