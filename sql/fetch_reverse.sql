--
-- fetch_reverse: the foreign keys that reference a table, which are found
-- through pg_depend (pg_constraint has no index on confrelid), on every
-- shape the catalogs take: composite keys, a self-reference, partitioned
-- tables on both sides, a foreign key to a partition, NOT VALID, two
-- foreign keys from one table, after ATTACH, DETACH and DROP, and a
-- table pg_depend records nothing on; each result checked against plain
-- SQL computing the same thing
--
CREATE SCHEMA rev;
SET search_path = rev, public;

-- fetch_json's rows as an array of jsonb in order
CREATE FUNCTION got(rel regclass, spec jsonb) RETURNS jsonb[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(j::jsonb ORDER BY n), '{}')
    FROM relprefetch.fetch_json(rel, spec) WITH ORDINALITY f(j, n)
$$;
-- an error's SQLSTATE, message, detail and hint
CREATE FUNCTION err(rel regclass, spec jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text; hnt text;
BEGIN
    PERFORM count(*) FROM relprefetch.fetch_json(rel, spec);
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
        det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RAISE NOTICE 'SQLSTATE %: %', st, msg;
    IF det <> '' THEN RAISE NOTICE 'DETAIL: %', det; END IF;
    IF hnt <> '' THEN RAISE NOTICE 'HINT: %', hnt; END IF;
END
$$;
-- what the lookup rests on, checked after each change: every foreign key
-- depends on the table it references (0 foreign keys without)
CREATE FUNCTION fk_without_dependency() RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM pg_constraint c
    WHERE c.contype = 'f' AND NOT EXISTS (
        SELECT FROM pg_depend d
        WHERE d.classid = 'pg_constraint'::regclass AND d.objid = c.oid
          AND d.refclassid = 'pg_class'::regclass AND d.refobjid = c.confrelid)
$$;
-- a sensor's samples, as plain SQL computes them from the samples in rel
CREATE FUNCTION want(sensors regclass, samples regclass) RETURNS jsonb[]
LANGUAGE plpgsql AS $$
DECLARE
    result jsonb[];
BEGIN
    EXECUTE format($q$
        SELECT coalesce(array_agg(to_jsonb(s) || jsonb_build_object('samples',
                   coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM %s x
                             WHERE (x.sensor_id, x.sensor_zone) = (s.id, s.zone)), '[]'))
                   ORDER BY s.id, s.zone), '{}')
        FROM %s s$q$, samples, sensors) INTO result;
    RETURN result;
END
$$;

--
-- a self-reference with a composite key: several dependencies of one
-- constraint on the table (its own columns and the referenced ones)
--
CREATE TABLE node (id int, grp int, parent_id int, parent_grp int,
    PRIMARY KEY (id, grp), FOREIGN KEY (parent_id, parent_grp) REFERENCES node (id, grp));
INSERT INTO node VALUES (1, 1, NULL, NULL), (2, 1, 1, 1), (3, 1, 1, 1), (4, 2, 2, 1);
SELECT j FROM relprefetch.fetch_json('node', '{"columns": ["id"], "order_by": "id", "include": {"children": {"path": "node", "columns": ["id"], "order_by": "id"}}}') j;
SELECT got('node', '{"order_by": "id", "include": {"children": {"path": "node", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(n) || jsonb_build_object('children',
                coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM node c
                          WHERE (c.parent_id, c.parent_grp) = (n.id, n.grp)), '[]'))
             FROM node n ORDER BY id) AS self_reference;

--
-- partitioned on both sides: the foreign key of the referencing table, not
-- its clones (one per referenced partition, one per referencing partition)
--
CREATE TABLE sensor (id int, zone text, name text, PRIMARY KEY (id, zone))
    PARTITION BY LIST (zone);
CREATE TABLE sensor_a PARTITION OF sensor FOR VALUES IN ('a');
CREATE TABLE sensor_b PARTITION OF sensor FOR VALUES IN ('b');
CREATE TABLE sample (id int, sensor_id int, sensor_zone text, v int, PRIMARY KEY (id),
    FOREIGN KEY (sensor_id, sensor_zone) REFERENCES sensor) PARTITION BY RANGE (id);
CREATE TABLE sample_1 PARTITION OF sample FOR VALUES FROM (0) TO (100);
CREATE TABLE sample_2 PARTITION OF sample FOR VALUES FROM (100) TO (200);
INSERT INTO sensor VALUES (1, 'a', 'door'), (2, 'a', 'hall'), (1, 'b', 'roof'), (3, 'b', 'yard');
INSERT INTO sample VALUES (1, 1, 'a', 10), (2, 1, 'b', 20), (101, 1, 'a', 30), (102, 3, 'b', 40),
    (103, NULL, NULL, 50);
SELECT fk_without_dependency();
SELECT j FROM relprefetch.fetch_json('sensor', '{"columns": ["id", "zone"], "order_by": "id, zone", "include": {"sample": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT rel, got(rel, '{"order_by": "id, zone", "include": {"samples": {"path": "sample", "order_by": "id"}}}')
     = want(rel, 'sample') AS same
FROM (VALUES ('sensor'::regclass), ('sensor_a'), ('sensor_b')) v(rel);
-- a referencing partition is not referencing on its own
SELECT err('sensor', '{"include": ["sample_1"]}');

--
-- a foreign key to a partition: that partition's, not its parent's
--
CREATE TABLE calibration (id int PRIMARY KEY, sensor_id int, sensor_zone text,
    FOREIGN KEY (sensor_id, sensor_zone) REFERENCES sensor_b);
INSERT INTO calibration VALUES (1, 1, 'b'), (2, 3, 'b'), (3, 3, 'b');
SELECT j FROM relprefetch.fetch_json('sensor_b', '{"columns": ["id"], "order_by": "id", "include": {"calibration": {"columns": ["id"], "order_by": "id"}, "sample": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT err('sensor', '{"include": ["calibration"]}');
SELECT err('sensor_a', '{"include": ["calibration"]}');

--
-- NOT VALID, and two foreign keys from one table to the same one: named
-- in the order they were made
--
CREATE TABLE reading (id int PRIMARY KEY, main_id int, main_zone text, spare_id int, spare_zone text);
INSERT INTO reading VALUES (1, 1, 'a', 9, 'z'), (2, 3, 'b', 1, 'a');
ALTER TABLE reading ADD CONSTRAINT z_main FOREIGN KEY (main_id, main_zone) REFERENCES sensor;
ALTER TABLE reading ADD CONSTRAINT a_spare FOREIGN KEY (spare_id, spare_zone) REFERENCES sensor NOT VALID;
SELECT fk_without_dependency();
SELECT err('sensor', '{"include": ["reading"]}');
SELECT j FROM relprefetch.fetch_json('sensor', '{"columns": ["id", "zone"], "order_by": "id, zone", "include": {"main": {"path": "z_main", "columns": ["id"]}, "spare": {"path": "a_spare", "columns": ["id"]}}}') j;
SELECT j FROM relprefetch.fetch_json('sensor_a', '{"columns": ["id"], "order_by": "id", "include": {"spare": {"path": "a_spare", "columns": ["id"]}}}') j;

--
-- ATTACH: a partition's own foreign key, the same as its new parent's,
-- becomes a clone
--
CREATE TABLE sample_3 (id int PRIMARY KEY, sensor_id int, sensor_zone text, v int,
    CONSTRAINT own_fk FOREIGN KEY (sensor_id, sensor_zone) REFERENCES sensor);
INSERT INTO sample_3 VALUES (201, 2, 'a', 60);
SELECT j FROM relprefetch.fetch_json('sensor_a', '{"columns": ["id"], "order_by": "id", "include": {"sample_3": {"columns": ["id"]}}}') j;
ALTER TABLE sample ATTACH PARTITION sample_3 FOR VALUES FROM (200) TO (300);
SELECT fk_without_dependency();
SELECT err('sensor_a', '{"include": ["sample_3"]}');
SELECT rel, got(rel, '{"order_by": "id, zone", "include": {"samples": {"path": "sample", "order_by": "id"}}}')
     = want(rel, 'sample') AS same_after_attach
FROM (VALUES ('sensor'::regclass), ('sensor_a'), ('sensor_b')) v(rel);

--
-- DETACH: a referencing partition's clone becomes a foreign key of its
-- own; a referenced partition detached is referenced only by what
-- references it itself
--
ALTER TABLE sample DETACH PARTITION sample_2;
SELECT fk_without_dependency();
SELECT rel, got(rel, '{"order_by": "id, zone", "include": {"samples": {"path": "sample", "order_by": "id"}}}')
     = want(rel, 'sample') AS same_without_sample_2,
     got(rel, '{"order_by": "id, zone", "include": {"samples": {"path": "sample_2", "order_by": "id"}}}')
     = want(rel, 'sample_2') AS sample_2_on_its_own
FROM (VALUES ('sensor'::regclass), ('sensor_a'), ('sensor_b')) v(rel);
DELETE FROM sample WHERE sensor_zone = 'b';
DELETE FROM sample_2 WHERE sensor_zone = 'b';
DELETE FROM reading WHERE main_zone = 'b' OR spare_zone = 'b';
ALTER TABLE sensor DETACH PARTITION sensor_b;
SELECT fk_without_dependency();
SELECT j FROM relprefetch.fetch_json('sensor_b', '{"columns": ["id"], "order_by": "id", "include": {"calibration": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT err('sensor_b', '{"include": ["sample"]}');
SELECT got('sensor', '{"order_by": "id, zone", "include": {"samples": {"path": "sample", "order_by": "id"}}}')
     = want('sensor', 'sample') AS same_without_sensor_b;

--
-- DROP: of a foreign key, of a referencing table
--
ALTER TABLE calibration DROP CONSTRAINT calibration_sensor_id_sensor_zone_fkey;
SELECT err('sensor_b', '{"include": ["calibration"]}');
DROP TABLE sample_2;
SELECT err('sensor', '{"include": ["sample_2"]}');
SELECT fk_without_dependency();


--
-- a table made by initdb may be pinned, and then nothing records a
-- dependency on it: its foreign keys are found by a scan of pg_constraint
--
SET allow_system_table_mods = on;
CREATE TABLE ns_ref (id int PRIMARY KEY, ns oid REFERENCES pg_namespace (oid));
RESET allow_system_table_mods;
INSERT INTO ns_ref VALUES (1, 'pg_catalog'::regnamespace), (2, 'public'::regnamespace);
SELECT fk_without_dependency() AS pinned_without_dependency;
SELECT j FROM relprefetch.fetch_json('pg_namespace', '{"columns": ["nspname"], "where": "nspname IN (''pg_catalog'', ''public'')", "order_by": "nspname", "include": {"ns_ref": {"columns": ["id"]}}}') j;
SET allow_system_table_mods = on;
DROP TABLE ns_ref;
RESET allow_system_table_mods;

RESET search_path;
DROP SCHEMA rev CASCADE;
