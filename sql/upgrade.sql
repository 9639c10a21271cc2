-- Installing the oldest version and updating through every step gives the
-- same objects as a fresh install of the current version.
-- In a database of its own, away from the other suites' objects.
SELECT current_database() AS home \gset
CREATE DATABASE rp_upgrade;
\c rp_upgrade
CREATE EXTENSION relprefetch VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'relprefetch';
SELECT count(*) AS fetch_functions FROM pg_proc
WHERE pronamespace = 'relprefetch'::regnamespace AND proname LIKE 'fetch%';
ALTER EXTENSION relprefetch UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'relprefetch';
ALTER EXTENSION relprefetch UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'relprefetch';
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict,
       p.prosecdef
FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'relprefetch')
  AND d.classid = 'pg_proc'::regclass
ORDER BY p.oid::regprocedure::text COLLATE "C";
-- (the members kept for the comparison below: their number differs
-- between PostgreSQL versions)
SELECT string_agg(pg_describe_object(classid, objid, objsubid), ', '
                  ORDER BY pg_describe_object(classid, objid, objsubid) COLLATE "C")
       AS updated_objects
FROM pg_depend
WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'relprefetch')
  AND deptype = 'e' \gset
-- and the updated functions work
CREATE TABLE up_parent (id int PRIMARY KEY);
CREATE TABLE up_child (id int PRIMARY KEY, parent_id int REFERENCES up_parent);
INSERT INTO up_parent VALUES (1), (2);
INSERT INTO up_child VALUES (10, 1), (11, 1);
SELECT relprefetch.fetch_json('up_parent', '{"order_by": "id", "include": ["up_child"]}');
SELECT (t.parent).id, cardinality(t.children)
FROM relprefetch.fetch_children(NULL::up_parent, NULL::up_child[]) t ORDER BY 1;
DROP TABLE up_child, up_parent;
-- the objects match a fresh install of the default version
DROP EXTENSION relprefetch;
CREATE EXTENSION relprefetch;
SELECT extversion FROM pg_extension WHERE extname = 'relprefetch';
SELECT string_agg(pg_describe_object(classid, objid, objsubid), ', '
                  ORDER BY pg_describe_object(classid, objid, objsubid) COLLATE "C")
       = :'updated_objects' AS same_objects
FROM pg_depend
WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'relprefetch')
  AND deptype = 'e';
\c :home
DROP DATABASE rp_upgrade;
