--
-- json_output: fetch_json renders a row's own fields exactly as to_json(row)
-- does, for every kind of type, NULLs, special values and settings that
-- change output text
--
CREATE SCHEMA jo;
SET search_path = jo, public;

CREATE TYPE jo_pair AS (a int, b text);
CREATE TYPE jo_mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN jo_posint AS int CHECK (VALUE > 0);
CREATE DOMAIN jo_label AS text;
CREATE DOMAIN jo_ints AS int[];
CREATE DOMAIN jo_pairdom AS jo_pair;
-- a type with its own cast to json: to_json() uses the cast
CREATE TYPE jo_color AS ENUM ('red', 'green');
CREATE FUNCTION jo_color_json(jo_color) RETURNS json
    LANGUAGE sql IMMUTABLE AS $$ SELECT json_build_object('color', $1::text) $$;
CREATE CAST (jo_color AS json) WITH FUNCTION jo_color_json(jo_color);

CREATE TABLE jo_all (
    id int PRIMARY KEY,
    b bool,
    i2 int2,
    i4 int4,
    i8 int8,
    f4 float4,
    f8 float8,
    num numeric,
    txt text,
    vc varchar(20),
    ch char(6),
    nm name,
    d date,
    ts timestamp,
    tstz timestamptz,
    tm time,
    tmtz timetz,
    iv interval,
    u uuid,
    by bytea,
    js json,
    jb jsonb,
    ia int[],
    ta text[],
    i2d int[],
    comp jo_pair,
    dint jo_posint,
    dtext jo_label,
    dints jo_ints,
    dcomp jo_pairdom,
    mood jo_mood,
    color jo_color,
    addr inet,
    cash money,
    "quote""d col" int,
    "Ünïcødé" text,
    U&"new\000aline" int
);

INSERT INTO jo_all VALUES
 (1, true, 1, 2, 3, 1.5, 2.25, 3.125, 'plain', 'vc', 'ab', 'a name',
  '2024-02-29', '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+00',
  '12:34:56', '12:34:56+02', '1 year 2 mons 3 days 04:05:06',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00017f80ff',
  '{"k": [1, 2, {"x": null}],  "z" : 1}', '{"k": [1, 2, {"x": null}], "z": 1}',
  '{1,2,3}', '{"a","b c","d\"e",NULL}', '{{1,2},{3,4}}',
  ROW(1, 'one'), 7, 'label', '{4,5}', ROW(2, 'two'), 'happy', 'red',
  '192.168.0.1/24', 12.34, 1, 'ü', 2),
 (2, false, -32768, -2147483648, -9223372036854775808, 'NaN', 'NaN', 'NaN',
  '', '', '', '', 'infinity', 'infinity', 'infinity', '00:00:00',
  '00:00:00+00', '-1 days -00:00:01', '00000000-0000-0000-0000-000000000000',
  '\x', '"just a string"', 'null', '{}', '{}', '{}',
  ROW(NULL, NULL), 1, '', '{}', ROW(NULL, NULL), 'sad', 'green', '::1', -1.5,
  -1, '', 0),
 (3, NULL, 32767, 2147483647, 9223372036854775807, 'Infinity', 'Infinity',
  'Infinity', E'tab\there "quoted" back\\slash', 'x', 'abcdef', 'x',
  '-infinity', '-infinity', '-infinity', '23:59:59.999999', '24:00:00-12',
  '0', NULL, NULL, '[]', '[]', '{NULL}', '{NULL}', '{{NULL,1},{2,NULL}}',
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, NULL, 0, 0, 0, '-Infinity', '-Infinity', '-Infinity', NULL, NULL, NULL,
  NULL, '0044-03-15 BC', '0044-03-15 12:00:00 BC',
  '0044-03-15 12:00:00+00 BC', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL),
 (5, NULL, NULL, NULL, NULL, '-0', '-0', '-0.000', NULL, NULL, NULL, NULL,
  '4713-01-01 BC', '294276-12-31 23:59:59.999999',
  '1999-12-31 23:59:59.5+05:30', NULL, NULL, '178000000 years', NULL, NULL,
  '3.0e2', '3.0e2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL),
 (6, NULL, NULL, NULL, NULL, 1e-45, 1.7976931348623157e308,
  '123456789012345678901234567890.123456789012345678901234567890', NULL,
  NULL, NULL, NULL, '5874897-12-31', '0001-01-01 00:00:00',
  '0001-01-01 00:00:00+00 BC', NULL, NULL, NULL, NULL, NULL,
  '{"a":1,"a":2}', '{"a":1,"a":2}', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, NULL, NULL, NULL, NULL, 3.4028235e38, 5e-324, '1e-30', NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL),
 -- every NULL
 (8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- text with every control character, quotes, backslashes and unicode
INSERT INTO jo_all (id, txt, vc, ch, nm, ta, comp, dtext, js, jb)
SELECT 9, string_agg(chr(c), '' ORDER BY c) || '"\/ é ✓ 😀 \u0000',
       E'\x01\x1f"\\', E'\t"', E'a\nb', ARRAY[E'\x01\n"\\'],
       ROW(1, E'\x02"\\')::jo_pair, E'\x1b[0m', E'"\\u00e9 \\n"', E'"\\u00e9 \\n"'
FROM generate_series(1, 31) c;
-- a long value, stored out of line and compressed
INSERT INTO jo_all (id, txt, ta)
SELECT 10, string_agg(md5(g::text), E'\n'), array_agg(md5(g::text))
FROM generate_series(1, 2000) g;
-- a long value, stored out of line uncompressed
ALTER TABLE jo_all ALTER COLUMN vc TYPE varchar(100000);
ALTER TABLE jo_all ALTER COLUMN vc SET STORAGE EXTERNAL;
INSERT INTO jo_all (id, vc) SELECT 11, repeat('é"', 5000);
SELECT count(*) AS rows FROM jo_all;

-- the comparison, row by row: no row differs
CREATE VIEW jo_diff AS
    SELECT t.id, f.j::text AS fetched, to_json(t)::text AS expected
    FROM relprefetch.fetch_json('jo_all', '{"order_by": "id"}') f(j)
    FULL JOIN jo_all t ON t.id = (f.j->>'id')::int
    WHERE f.j::text IS DISTINCT FROM to_json(t)::text;
SELECT * FROM jo_diff;
SELECT count(*) AS fetched FROM relprefetch.fetch_json('jo_all', '{"order_by": "id"}');

-- a few of them in full
\pset tuples_only on
\pset format unaligned
SELECT j FROM relprefetch.fetch_json('jo_all', '{"where": "id IN (1, 2, 9)", "order_by": "id"}') j;
\pset tuples_only off
\pset format aligned

-- the output is valid JSON, and the same as to_json's also as jsonb
SELECT count(*) AS same_jsonb
FROM relprefetch.fetch_json('jo_all', '{"order_by": "id"}') f(j)
JOIN jo_all t ON t.id = (f.j->>'id')::int
WHERE f.j::jsonb = to_jsonb(t);

-- settings that change how values are written
SET timezone = 'Asia/Kolkata';
SELECT * FROM jo_diff;
SELECT j->>'tstz' AS tstz FROM relprefetch.fetch_json('jo_all', '{"columns": ["tstz"], "where": "id IN (1, 5)", "order_by": "id"}') j;
SET timezone = 'America/St_Johns';
SELECT * FROM jo_diff;
SELECT j->>'tstz' AS tstz FROM relprefetch.fetch_json('jo_all', '{"columns": ["tstz"], "where": "id IN (1, 5)", "order_by": "id"}') j;
-- zones with one offset for all time, whose offsets are not looked up
SET timezone = 'UTC';
SELECT * FROM jo_diff;
SELECT j->>'tstz' AS tstz FROM relprefetch.fetch_json('jo_all', '{"columns": ["tstz"], "where": "id IN (1, 5)", "order_by": "id"}') j;
SET timezone = '<+0530>-05:30';
SELECT * FROM jo_diff;
SELECT j->>'tstz' AS tstz FROM relprefetch.fetch_json('jo_all', '{"columns": ["tstz"], "where": "id IN (1, 5)", "order_by": "id"}') j;
SET timezone = 'Etc/GMT+12';
SELECT * FROM jo_diff;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'iso_8601';
SET extra_float_digits = 0;
SET bytea_output = 'escape';
SELECT * FROM jo_diff;
SELECT j FROM relprefetch.fetch_json('jo_all', '{"columns": ["d", "tm", "iv", "f4", "f8", "by"], "where": "id = 1"}') j;
SET extra_float_digits = 3;
SELECT * FROM jo_diff;
RESET extra_float_digits;
RESET DateStyle;
RESET IntervalStyle;
RESET bytea_output;
RESET timezone;

-- "columns": a subset, in the given order, as to_json renders a SELECT of them
SELECT t.id, f.j::text = to_json(t)::text AS same, f.j
FROM relprefetch.fetch_json('jo_all', '{"columns": ["num", "id", "comp", "Ünïcødé"], "order_by": "id"}') f(j)
JOIN (SELECT num, id, comp, "Ünïcødé" FROM jo_all) t ON t.id = (f.j->>'id')::int
WHERE t.id <= 3
ORDER BY t.id;
SELECT count(*) AS differ
FROM relprefetch.fetch_json('jo_all', '{"columns": ["quote\"d col", "new\nline", "tstz", "ia", "jb", "id"], "order_by": "id"}') f(j)
FULL JOIN (SELECT "quote""d col", U&"new\000aline", tstz, ia, jb, id FROM jo_all) t
    ON t.id = (f.j->>'id')::int
WHERE f.j::text IS DISTINCT FROM to_json(t)::text;
SELECT j FROM relprefetch.fetch_json('jo_all', '{"columns": ["quote\"d col", "new\nline"], "where": "id = 1"}') j;
-- no columns at all: an empty object per row
SELECT j FROM relprefetch.fetch_json('jo_all', '{"columns": [], "where": "id <= 2"}') j;
-- "columns": null is as if not given
SELECT count(*) AS differ
FROM relprefetch.fetch_json('jo_all', '{"columns": null}') f(j)
JOIN jo_all t ON t.id = (f.j->>'id')::int
WHERE f.j::text IS DISTINCT FROM to_json(t)::text;

-- a dropped column is skipped; one added later is rendered
ALTER TABLE jo_all DROP COLUMN i2;
ALTER TABLE jo_all ADD COLUMN later numeric DEFAULT 1.50;
SELECT * FROM jo_diff;
SELECT j->'later' AS later, j::jsonb ? 'i2' AS has_i2
FROM relprefetch.fetch_json('jo_all', '{"where": "id = 1"}') j;

-- rendering of included rows is the same too
CREATE TABLE jo_child (
    id int PRIMARY KEY,
    parent_id int REFERENCES jo_all (id),
    val jo_all
);
INSERT INTO jo_child SELECT t.id * 10, t.id, t FROM jo_all t;
SELECT count(*) AS differ
FROM relprefetch.fetch_json('jo_all', '{"columns": ["id"], "include": ["jo_child"]}') f(j)
JOIN jo_all t ON t.id = (f.j->>'id')::int
WHERE (f.j->'jo_child'->0)::text IS DISTINCT FROM
      (SELECT to_json(c)::text FROM jo_child c WHERE c.parent_id = t.id);
SELECT count(*) AS differ
FROM relprefetch.fetch_json('jo_child', '{"columns": ["id"], "include": ["parent"]}') f(j)
JOIN jo_child c ON c.id = (f.j->>'id')::int
WHERE (f.j->'parent')::text IS DISTINCT FROM
      (SELECT to_json(t)::text FROM jo_all t WHERE t.id = c.parent_id);

SET client_min_messages = warning;
DROP SCHEMA jo CASCADE;
RESET client_min_messages;
RESET search_path;
