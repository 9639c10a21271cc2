--
-- fetch_embed: every kind of relationship on a schema of its own, asked
-- for as PostgREST requests would be: wide junctions (a key holding the
-- two foreign keys and more), ambiguity between kinds, reverse one-to-one
-- (composite and self-referencing too), names and "via" by the referenced
-- column, several foreign keys between two tables, partitions queried
-- directly, simple views (and their security); each result checked against
-- plain SQL computing the same thing, and every error path
--
CREATE SCHEMA emb;
SET search_path = emb, public;

-- fetch_json's rows, and plain SQL's, as arrays of jsonb in order
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

--
-- wide junctions: a key that holds the two foreign keys' columns and more
--
CREATE TABLE big_projects (big_project_id int PRIMARY KEY, name text);
CREATE TABLE sites (
    site_id int PRIMARY KEY,
    name text,
    main_project_id int,
    CONSTRAINT main_project FOREIGN KEY (main_project_id) REFERENCES big_projects
);
CREATE TABLE jobs (
    job_id int,
    name text,
    site_id int NOT NULL REFERENCES sites,
    big_project_id int NOT NULL REFERENCES big_projects,
    PRIMARY KEY (job_id, site_id, big_project_id)
);
INSERT INTO big_projects VALUES (1, 'dam'), (2, 'bridge'), (3, 'tunnel');
INSERT INTO sites VALUES (1, 'north', 1), (2, 'south', NULL), (3, 'east', 3);
INSERT INTO jobs VALUES (1, 'dig', 1, 1), (2, 'pour', 1, 2), (3, 'weld', 2, 2),
    (4, 'paint', 1, 2);
-- "big_projects" is the forward key main_project and the many-to-many
-- through jobs: ambiguous, whatever their kinds
SELECT err('sites', '{"include": ["big_projects"]}');
-- "via" chooses: the junction, or the foreign key
SELECT j FROM relprefetch.fetch_json('sites', '{"columns": ["name"], "order_by": "site_id", "include": {"big_projects": {"via": "jobs", "columns": ["name"], "order_by": "name"}}}') j;
SELECT got('sites', '{"order_by": "site_id", "include": {"big_projects": {"via": "jobs", "order_by": "big_project_id"}}}')
     = ARRAY(SELECT to_jsonb(s) || jsonb_build_object('big_projects',
                coalesce((SELECT jsonb_agg(to_jsonb(b) ORDER BY b.big_project_id)
                          FROM jobs jb JOIN big_projects b USING (big_project_id)
                          WHERE jb.site_id = s.site_id), '[]'))
             FROM sites s ORDER BY site_id) AS wide_junction;
SELECT got('sites', '{"order_by": "site_id", "include": {"big_projects": {"via": "main_project"}}}')
     = ARRAY(SELECT to_jsonb(s) || jsonb_build_object('big_projects',
                (SELECT to_jsonb(b) FROM big_projects b WHERE b.big_project_id = s.main_project_id))
             FROM sites s ORDER BY site_id) AS forward_by_via;
-- the junction's own rows, by its foreign key's name; and the other way
SELECT got('big_projects', '{"order_by": "big_project_id", "include": {"sites": {"via": "jobs", "order_by": "site_id", "columns": ["name"]}, "jobs_big_project_id_fkey": {"columns": ["job_id"], "order_by": "job_id"}}}')
     = ARRAY(SELECT to_jsonb(b) || jsonb_build_object(
                'sites', coalesce((SELECT jsonb_agg(jsonb_build_object('name', s.name) ORDER BY s.site_id)
                                   FROM jobs jb JOIN sites s USING (site_id)
                                   WHERE jb.big_project_id = b.big_project_id), '[]'),
                'jobs_big_project_id_fkey', coalesce((SELECT jsonb_agg(jsonb_build_object('job_id', jb.job_id) ORDER BY jb.job_id)
                                   FROM jobs jb WHERE jb.big_project_id = b.big_project_id), '[]'))
             FROM big_projects b ORDER BY big_project_id) AS wide_junction_back;
-- "sites" from big_projects: the reverse key main_project and the
-- many-to-many; "via" says which
SELECT err('big_projects', '{"include": ["sites"]}');
SELECT j FROM relprefetch.fetch_json('big_projects', '{"columns": ["name"], "order_by": "big_project_id", "include": {"sites": {"via": "main_project", "columns": ["name"]}}}') j;

-- a unique key with a column of data in it (car_models_car_dealers)
CREATE TABLE car_models (id int PRIMARY KEY, name text);
CREATE TABLE car_dealers (id int PRIMARY KEY, city text);
CREATE TABLE car_models_car_dealers (
    car_model_id int NOT NULL REFERENCES car_models,
    car_dealer_id int NOT NULL REFERENCES car_dealers,
    quantity int NOT NULL,
    UNIQUE (car_model_id, car_dealer_id, quantity)
);
INSERT INTO car_models VALUES (1, 'Roadster'), (2, 'Wagon'), (3, 'Van');
INSERT INTO car_dealers VALUES (1, 'Oslo'), (2, 'Lima');
INSERT INTO car_models_car_dealers VALUES (1, 1, 5), (1, 2, 3), (2, 2, 7);
SELECT j FROM relprefetch.fetch_json('car_models', '{"columns": ["name"], "order_by": "id", "include": {"car_dealers": {"columns": ["city"], "order_by": "city"}}}') j;
SELECT got('car_dealers', '{"order_by": "id", "include": {"car_models": {"order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(d) || jsonb_build_object('car_models',
                coalesce((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.id)
                          FROM car_models_car_dealers x JOIN car_models m ON m.id = x.car_model_id
                          WHERE x.car_dealer_id = d.id), '[]'))
             FROM car_dealers d ORDER BY id) AS unique_key_junction;
-- the junction's own name: its rows, as in PostgREST (films_actors from
-- films); the far table's name: the many-to-many
SELECT j FROM relprefetch.fetch_json('car_models', '{"columns": ["name"], "order_by": "id", "include": {"car_models_car_dealers": {"columns": ["car_dealer_id", "quantity"], "order_by": "car_dealer_id"}}}') j;
SELECT got('car_models', '{"order_by": "id", "include": {"car_models_car_dealers": {"order_by": "car_dealer_id"}, "car_dealers": {"order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(m) || jsonb_build_object(
                'car_models_car_dealers', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.car_dealer_id)
                                                    FROM car_models_car_dealers x WHERE x.car_model_id = m.id), '[]'),
                'car_dealers', coalesce((SELECT jsonb_agg(to_jsonb(d) ORDER BY d.id)
                                         FROM car_models_car_dealers x JOIN car_dealers d ON d.id = x.car_dealer_id
                                         WHERE x.car_model_id = m.id), '[]'))
             FROM car_models m ORDER BY id) AS junction_name;
-- a junction between a table and itself: its name fits its two foreign
-- keys to the table, a clear ambiguity; "via" by column chooses
CREATE TABLE car_models_similar (
    car_model_id int REFERENCES car_models,
    similar_id int REFERENCES car_models,
    PRIMARY KEY (car_model_id, similar_id)
);
INSERT INTO car_models_similar VALUES (1, 2), (2, 1), (3, 1);
SELECT err('car_models', '{"include": ["car_models_similar"]}');
SELECT got('car_models', '{"order_by": "id", "include": {"links": {"path": "car_models_similar", "via": "similar_id", "order_by": "car_model_id"}, "similar": {"path": "car_models", "via": "similar_id", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(m) || jsonb_build_object(
                'links', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.car_model_id)
                                   FROM car_models_similar x WHERE x.similar_id = m.id), '[]'),
                'similar', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id)
                                     FROM car_models_similar x JOIN car_models o ON o.id = x.similar_id
                                     WHERE x.car_model_id = m.id), '[]'))
             FROM car_models m ORDER BY id) AS self_junction;
-- Django's field name of a junction can be another table's name: "roles"
-- is then both the reverse key of roles and the many-to-many through
-- film_roles, a clear ambiguity
CREATE TABLE film (id int PRIMARY KEY, title text);
CREATE TABLE actor (id int PRIMARY KEY, name text);
CREATE TABLE film_roles (film_id int REFERENCES film, actor_id int REFERENCES actor, PRIMARY KEY (film_id, actor_id));
CREATE TABLE roles (id int PRIMARY KEY, film_id int REFERENCES film);
SELECT err('film', '{"include": ["roles"]}');
SELECT count(*) FROM relprefetch.fetch_json('film', '{"include": {"roles": {"via": "film_roles"}, "r": {"path": "roles", "via": "film_id"}}}');
DROP TABLE film_roles, roles, film, actor;
-- a table whose key holds not both foreign keys is no junction
CREATE TABLE stock (
    id int PRIMARY KEY,
    car_model_id int REFERENCES car_models,
    car_dealer_id int REFERENCES car_dealers
);
SELECT err('car_models', '{"include": {"car_dealers": {"via": "stock"}}}');

--
-- reverse one-to-one: the referencing columns are a key
--
CREATE TABLE country (id int PRIMARY KEY, name text);
CREATE TABLE capital (
    id int PRIMARY KEY,
    name text,
    country_id int UNIQUE REFERENCES country
);
INSERT INTO country VALUES (1, 'Peru'), (2, 'Norway'), (3, 'Atlantis');
INSERT INTO capital VALUES (10, 'Lima', 1), (20, 'Oslo', 2), (30, 'Nowhere', NULL);
-- an object, or null
SELECT j FROM relprefetch.fetch_json('country', '{"columns": ["name"], "order_by": "id", "include": {"capital": {"columns": ["name"]}}}') j;
SELECT got('country', '{"order_by": "id", "include": ["capital"]}')
     = ARRAY(SELECT to_jsonb(c) || jsonb_build_object('capital',
                (SELECT to_jsonb(k) FROM capital k WHERE k.country_id = c.id))
             FROM country c ORDER BY id) AS reverse_one_to_one;
-- named by the referenced column (PostgREST's country?select=id(name))
SELECT j FROM relprefetch.fetch_json('country', '{"columns": ["name"], "order_by": "id", "include": {"capital": {"path": "id", "columns": ["name"]}}}') j;
-- "order_by" and "limit" do not apply to one row
SELECT err('country', '{"include": {"capital": {"order_by": "name"}}}');
SELECT err('country', '{"include": {"capital": {"limit": 1}}}');
-- fetch_children gives an array of one row or none
SELECT (t.parent).name, t.children
FROM relprefetch.fetch_children(NULL::country, NULL::capital[]) t ORDER BY (t.parent).id;
-- detection words a loop over a reverse one-to-one as a to-one lookup
SELECT relprefetch.reset() IS NOT NULL AS reset;
BEGIN;
SELECT id, name FROM country ORDER BY id;
SELECT name FROM capital WHERE country_id = 1;
SELECT name FROM capital WHERE country_id = 2;
SELECT name FROM capital WHERE country_id = 3;
SELECT name FROM capital WHERE country_id = 4;
SELECT name FROM capital WHERE country_id = 5;
COMMIT;
SELECT relation, foreign_key, suggestion FROM rp_stats WHERE query LIKE '%capital%';
-- a second table referencing country.id: "id" is ambiguous; "via" by the
-- referenced column (PostgREST's capital!id) against another column
CREATE TABLE city (
    id int PRIMARY KEY,
    name text,
    country_id int REFERENCES country,
    country_name text
);
ALTER TABLE country ADD UNIQUE (name);
ALTER TABLE city ADD CONSTRAINT city_country_name FOREIGN KEY (country_name) REFERENCES country (name);
INSERT INTO city VALUES (1, 'Lima', 1, 'Peru'), (2, 'Cusco', 1, NULL), (3, 'Bergen', NULL, 'Norway');
SELECT err('country', '{"include": {"capital": {"path": "id"}}}');
SELECT err('country', '{"include": ["city"]}');
SELECT j FROM relprefetch.fetch_json('country', '{"columns": ["name"], "order_by": "id", "include": {"by_id": {"path": "city", "via": "id", "columns": ["name"], "order_by": "id"}, "by_name": {"path": "city", "via": "name", "columns": ["name"], "order_by": "id"}}}') j;
SELECT got('country', '{"order_by": "id", "include": {"by_id": {"path": "city", "via": "id", "order_by": "id"}, "by_name": {"path": "city", "via": "name", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(c) || jsonb_build_object(
                'by_id', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM city t WHERE t.country_id = c.id), '[]'),
                'by_name', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM city t WHERE t.country_name = c.name), '[]'))
             FROM country c ORDER BY id) AS via_referenced_column;
-- "via" naming a column of neither side
SELECT err('country', '{"include": {"city": {"via": "code"}}}');

-- composite, the referencing key being the primary key
CREATE TABLE students (id int, code text, name text, PRIMARY KEY (id, code));
CREATE TABLE students_info (
    id int,
    code text,
    address text,
    PRIMARY KEY (id, code),
    FOREIGN KEY (code, id) REFERENCES students (code, id)
);
INSERT INTO students VALUES (1, 'a', 'Ada'), (1, 'b', 'Bea'), (2, 'a', 'Cal');
INSERT INTO students_info VALUES (1, 'a', 'Main St'), (2, 'a', 'Side St');
SELECT j FROM relprefetch.fetch_json('students', '{"columns": ["name"], "order_by": "id, code", "include": {"students_info": {"columns": ["address"]}}}') j;
SELECT got('students_info', '{"order_by": "id, code", "include": ["students"]}')
     = ARRAY(SELECT to_jsonb(i) || jsonb_build_object('students',
                (SELECT to_jsonb(s) FROM students s WHERE (s.id, s.code) = (i.id, i.code)))
             FROM students_info i ORDER BY id, code) AS composite_one_to_one;

-- self-references: a unique one (predecessor / successor) and a plain one
CREATE TABLE presidents (
    id int PRIMARY KEY,
    last_name text,
    predecessor_id int UNIQUE REFERENCES presidents
);
INSERT INTO presidents VALUES (1, 'Washington', NULL), (2, 'Adams', 1), (3, 'Jefferson', 2);
SELECT j FROM relprefetch.fetch_json('presidents', '{"columns": ["last_name"], "order_by": "id", "include": {"predecessor": {"columns": ["last_name"]}, "successor": {"path": "presidents", "columns": ["last_name"]}}}') j;
SELECT got('presidents', '{"order_by": "id", "include": {"predecessor": {}, "successor": {"path": "presidents"}}}')
     = ARRAY(SELECT to_jsonb(p) || jsonb_build_object(
                'predecessor', (SELECT to_jsonb(q) FROM presidents q WHERE q.id = p.predecessor_id),
                'successor', (SELECT to_jsonb(q) FROM presidents q WHERE q.predecessor_id = p.id))
             FROM presidents p ORDER BY id) AS self_one_to_one;
CREATE TABLE employees (id int PRIMARY KEY, last_name text, supervisor_id int REFERENCES employees);
INSERT INTO employees VALUES (1, 'Taylor', NULL), (2, 'Johnson', 1), (3, 'Miller', 1), (4, 'Wu', 3);
SELECT got('employees', '{"order_by": "id", "include": {"supervisor": {}, "supervisees": {"path": "employees", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(e) || jsonb_build_object(
                'supervisor', (SELECT to_jsonb(s) FROM employees s WHERE s.id = e.supervisor_id),
                'supervisees', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.id) FROM employees s WHERE s.supervisor_id = e.id), '[]'))
             FROM employees e ORDER BY id) AS self_reference;

--
-- several foreign keys between two tables
--
CREATE TABLE addresses (id int PRIMARY KEY, name text);
CREATE TABLE orders (
    id int PRIMARY KEY,
    name text,
    billing_address_id int,
    shipping_address_id int,
    CONSTRAINT billing FOREIGN KEY (billing_address_id) REFERENCES addresses,
    CONSTRAINT shipping FOREIGN KEY (shipping_address_id) REFERENCES addresses
);
INSERT INTO addresses VALUES (1, 'Glenlake 32'), (2, 'Glenlake 30');
INSERT INTO orders VALUES (1, 'Filter', 1, 2), (2, 'Coffee', 2, 2), (3, 'Lamp', 1, NULL);
SELECT err('orders', '{"include": ["addresses"]}');
SELECT j FROM relprefetch.fetch_json('orders', '{"columns": ["name"], "order_by": "id", "include": {"billing_address": {"path": "addresses", "via": "billing", "columns": ["name"]}, "shipping_address": {"path": "addresses", "via": "shipping", "columns": ["name"]}}}') j;
SELECT got('addresses', '{"order_by": "id", "include": {"billing_orders": {"path": "orders", "via": "billing", "order_by": "id"}, "shipping_orders": {"path": "orders", "via": "shipping_address_id", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(a) || jsonb_build_object(
                'billing_orders', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.billing_address_id = a.id), '[]'),
                'shipping_orders', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id) FROM orders o WHERE o.shipping_address_id = a.id), '[]'))
             FROM addresses a ORDER BY id) AS several_keys;
-- "order" through an ambiguous name: by an include's key (its path and
-- via), or with "!" and a via (PostgREST's addresses!billing)
SELECT j FROM relprefetch.fetch_json('orders', '{"columns": ["name"], "order": "billing.name, id", "include": {"billing": {"path": "addresses", "via": "billing", "columns": ["name"]}}}') j;
SELECT got('orders', '{"order": "addresses!shipping.name desc nulls last, billing.name, id", "include": {"billing": {"path": "addresses", "via": "billing"}}}')
     = ARRAY(SELECT to_jsonb(o) || jsonb_build_object('billing', to_jsonb(b))
             FROM orders o LEFT JOIN addresses b ON b.id = o.billing_address_id
                  LEFT JOIN addresses s ON s.id = o.shipping_address_id
             ORDER BY s.name DESC NULLS LAST, b.name, o.id) AS order_via;
-- quoted, schema-qualified, through several steps, and in an include's
-- "order" (its own includes' keys)
SELECT got('addresses', '{"order_by": "id", "include": {"billed": {"path": "orders", "via": "billing", "order": "\"emb\".\"addresses\"!\"shipping\".name desc, ship.id, id", "include": {"ship": {"path": "addresses", "via": "shipping_address_id"}}}}}')
     = ARRAY(SELECT to_jsonb(a) || jsonb_build_object('billed',
                coalesce((SELECT jsonb_agg(to_jsonb(o) || jsonb_build_object('ship', to_jsonb(s)) ORDER BY s.name DESC, s.id, o.id)
                          FROM orders o LEFT JOIN addresses s ON s.id = o.shipping_address_id
                          WHERE o.billing_address_id = a.id), '[]'))
             FROM addresses a ORDER BY id) AS order_via_in_include;
CREATE TABLE shipments (id int PRIMARY KEY, order_id int REFERENCES orders);
INSERT INTO shipments VALUES (1, 1), (2, 2), (3, 3), (4, NULL);
SELECT got('shipments', '{"order": "orders__addresses!billing.name, o__ship.name, id", "include": {"o": {"path": "orders", "include": {"ship": {"path": "addresses", "via": "shipping"}}}}}')
     = ARRAY(SELECT to_jsonb(sh) || jsonb_build_object('o',
                (SELECT to_jsonb(o) || jsonb_build_object('ship', (SELECT to_jsonb(s) FROM addresses s WHERE s.id = o.shipping_address_id))
                 FROM orders o WHERE o.id = sh.order_id))
             FROM shipments sh LEFT JOIN orders o ON o.id = sh.order_id
                  LEFT JOIN addresses b ON b.id = o.billing_address_id
                  LEFT JOIN addresses s ON s.id = o.shipping_address_id
             ORDER BY b.name, s.name, sh.id) AS order_via_steps;
-- errors: still ambiguous without them; a via that fits none; "!" without
-- a via or a column; an include's key that gives several rows
SELECT err('orders', '{"order": "addresses.name"}');
SELECT err('orders', '{"order": "addresses!nope.name"}');
SELECT err('orders', '{"order": "addresses!.name"}');
SELECT err('orders', '{"order": "addresses!billing"}');
SELECT err('orders', '{"order": "addresses!billing desc"}');
SELECT err('addresses', '{"order": "billed.name", "include": {"billed": {"path": "orders", "via": "billing"}}}');
DROP TABLE shipments;

--
-- partitions queried directly: their ancestors' foreign keys, both ways
--
CREATE TABLE stations (id int PRIMARY KEY, name text);
CREATE TABLE readings (
    id int,
    taken date,
    station_id int REFERENCES stations,
    value numeric,
    PRIMARY KEY (id, taken)
) PARTITION BY RANGE (taken);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    PARTITION BY RANGE (taken);
CREATE TABLE readings_2024_h1 PARTITION OF readings_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE readings_2024_h2 PARTITION OF readings_2024 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
-- columns in another order, and a dropped one: numbered otherwise
CREATE TABLE readings_2025 (dropped int, value numeric, station_id int, taken date NOT NULL, id int NOT NULL);
ALTER TABLE readings_2025 DROP COLUMN dropped;
ALTER TABLE readings ATTACH PARTITION readings_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE flags (
    id int PRIMARY KEY,
    reading_id int,
    reading_taken date,
    FOREIGN KEY (reading_id, reading_taken) REFERENCES readings (id, taken)
);
INSERT INTO stations VALUES (1, 'hill'), (2, 'lake');
INSERT INTO readings VALUES (1, '2024-02-01', 1, 3.5), (2, '2024-08-01', 2, 4.5),
    (3, '2025-03-01', 1, 5.5), (4, '2025-04-01', NULL, 6.5);
INSERT INTO flags VALUES (1, 1, '2024-02-01'), (2, 3, '2025-03-01'), (3, 3, '2025-03-01');
SELECT j FROM relprefetch.fetch_json('readings_2025', '{"columns": ["id"], "order_by": "id", "include": {"stations": {"columns": ["name"]}, "flags": {"columns": ["id"], "order_by": "id"}}}') j;
SELECT relid, got(relid, '{"order_by": "id", "include": {"stations": {}, "flags": {"order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(r) || jsonb_build_object(
                'stations', (SELECT to_jsonb(s) FROM stations s WHERE s.id = r.station_id),
                'flags', coalesce((SELECT jsonb_agg(to_jsonb(f) ORDER BY f.id) FROM flags f
                                   WHERE (f.reading_id, f.reading_taken) = (r.id, r.taken)), '[]'))
             FROM readings r WHERE r.tableoid = relid OR relid = 'readings'::regclass
                OR (relid = 'readings_2024'::regclass AND r.taken < '2025-01-01')
             ORDER BY id) AS same
FROM (VALUES ('readings'::regclass), ('readings_2024'), ('readings_2024_h1'), ('readings_2025')) v(relid);
-- and the other way: a flag's reading, from the partitioned table
SELECT got('flags', '{"order_by": "id", "include": {"readings": {"columns": ["value"]}}}')
     = ARRAY(SELECT to_jsonb(f) || jsonb_build_object('readings',
                (SELECT jsonb_build_object('value', r.value) FROM readings r WHERE (r.id, r.taken) = (f.reading_id, f.reading_taken)))
             FROM flags f ORDER BY id) AS to_partitioned;
-- detached, a partition keeps the foreign keys PostgreSQL gives it, and is
-- no longer referenced through its parent's
-- (the same specs before and after: the cached plans are dropped)
SELECT err('readings_2025', '{"include": ["flags"]}');
BEGIN;
DELETE FROM flags WHERE reading_taken >= '2025-01-01';
ALTER TABLE readings DETACH PARTITION readings_2025;
SELECT j FROM relprefetch.fetch_json('readings_2025', '{"columns": ["id"], "order_by": "id", "include": {"stations": {"columns": ["name"]}}}') j;
SELECT err('readings_2025', '{"include": ["flags"]}');
ROLLBACK;
SELECT err('readings_2025', '{"include": ["flags"]}');
-- a partitioned table referencing itself: a partition's parent row may be
-- in another partition
CREATE TABLE events (id int, part int, parent_id int, parent_part int,
    PRIMARY KEY (id, part), FOREIGN KEY (parent_id, parent_part) REFERENCES events (id, part))
    PARTITION BY LIST (part);
CREATE TABLE events_1 PARTITION OF events FOR VALUES IN (1);
CREATE TABLE events_2 PARTITION OF events FOR VALUES IN (2);
INSERT INTO events VALUES (1, 1, NULL, NULL), (2, 2, 1, 1), (3, 2, 2, 2), (4, 1, 2, 2);
SELECT j FROM relprefetch.fetch_json('events_2', '{"columns": ["id"], "order_by": "id", "include": {"children": {"path": "events", "columns": ["id"], "order_by": "id"}}}') j;
SELECT got('events_2', '{"order_by": "id", "include": {"children": {"path": "events", "order_by": "id"}}}')
     = ARRAY(SELECT to_jsonb(e) || jsonb_build_object('children',
                coalesce((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id) FROM events c
                          WHERE (c.parent_id, c.parent_part) = (e.id, e.part)), '[]'))
             FROM events_2 e ORDER BY id) AS partition_self_reference;

--
-- simple views: their table's relationships, for the columns they show
--
CREATE VIEW north_sites AS
    SELECT site_id AS sid, name AS site_name, main_project_id FROM sites WHERE site_id <> 3;
SELECT j FROM relprefetch.fetch_json('north_sites', '{"order_by": "sid", "include": {"project": {"path": "main_project", "columns": ["name"]}, "big_projects": {"via": "jobs", "columns": ["name"], "order_by": "name"}, "jobs_site_id_fkey": {"columns": ["job_id"], "order_by": "job_id"}}}') j;
SELECT got('north_sites', '{"order_by": "sid", "include": {"main_project": {}, "big_projects": {"via": "jobs", "order_by": "big_project_id"}}}')
     = ARRAY(SELECT to_jsonb(s) || jsonb_build_object(
                'main_project', (SELECT to_jsonb(b) FROM big_projects b WHERE b.big_project_id = s.main_project_id),
                'big_projects', coalesce((SELECT jsonb_agg(to_jsonb(b) ORDER BY b.big_project_id)
                                          FROM jobs jb JOIN big_projects b USING (big_project_id)
                                          WHERE jb.site_id = s.sid), '[]'))
             FROM north_sites s ORDER BY sid) AS simple_view;
-- named by the view's own column names
SELECT got('north_sites', '{"order_by": "sid", "include": {"a": {"path": "main_project_id"}, "b": {"path": "main_project"}}}')
     = got('north_sites', '{"order_by": "sid", "include": {"a": {"path": "big_projects", "via": "main_project"}, "b": {"path": "main_project"}}}') AS view_names;
-- a view over a qualifying view, and a view over a partition
CREATE VIEW north_sites_2 AS SELECT site_name, sid FROM north_sites;
SELECT j FROM relprefetch.fetch_json('north_sites_2', '{"order_by": "sid", "include": {"jobs_site_id_fkey": {"columns": ["name"], "order_by": "job_id"}}}') j;
CREATE VIEW readings_2025_v AS SELECT id, taken, station_id AS station FROM readings_2025;
SELECT got('readings_2025_v', '{"order_by": "id", "include": {"st": {"path": "station"}, "flags": {}}}')
     = ARRAY(SELECT to_jsonb(r) || jsonb_build_object(
                'st', (SELECT to_jsonb(s) FROM stations s WHERE s.id = r.station),
                'flags', coalesce((SELECT jsonb_agg(to_jsonb(f)) FROM flags f
                                   WHERE (f.reading_id, f.reading_taken) = (r.id, r.taken)), '[]'))
             FROM readings_2025_v r ORDER BY id) AS view_of_partition;
-- a view that hides the foreign key's column has not that relationship
CREATE VIEW site_names AS SELECT site_id, name FROM sites;
SELECT err('site_names', '{"include": ["main_project"]}');
-- views that do not qualify have none: a computed column, DISTINCT, a join
CREATE VIEW sites_computed AS SELECT site_id, main_project_id + 0 AS main_project_id FROM sites;
SELECT err('sites_computed', '{"include": ["main_project"]}');
CREATE VIEW sites_distinct AS SELECT DISTINCT site_id, main_project_id FROM sites;
SELECT err('sites_distinct', '{"include": ["main_project"]}');
CREATE VIEW sites_joined AS SELECT s.site_id, s.main_project_id FROM sites s JOIN big_projects b ON b.big_project_id = s.main_project_id;
SELECT err('sites_joined', '{"include": ["main_project"]}');
-- fetch_children from a view
SELECT (t.parent).site_name, t.children
FROM relprefetch.fetch_children(NULL::north_sites, NULL::jobs[], child_order_by => 'job_id') t ORDER BY (t.parent).sid;

-- a view as the target: the relationships of its table to the view's
-- rows, named by the view's name
SELECT err('big_projects', '{"include": ["north_sites"]}');
-- the views over a target are looked for by a name that may be a view's
-- (bare or schema-qualified), and listed by an unknown name's hint
SELECT got('big_projects', '{"order_by": "big_project_id", "include": {"m": {"path": "emb.north_sites", "via": "main_project", "columns": ["sid"]}}}')
     = got('big_projects', '{"order_by": "big_project_id", "include": {"m": {"path": "north_sites", "via": "main_project", "columns": ["sid"]}}}') AS qualified_view_name;
SELECT err('big_projects', '{"include": ["no_such_name"]}');
SELECT j FROM relprefetch.fetch_json('big_projects', '{"columns": ["name"], "order_by": "big_project_id", "include": {"north_sites": {"via": "jobs", "columns": ["site_name"], "order_by": "sid"}, "main_of": {"path": "north_sites", "via": "main_project", "columns": ["sid"]}}}') j;
SELECT got('big_projects', '{"order_by": "big_project_id", "include": {"n": {"path": "north_sites", "via": "jobs", "order_by": "sid"}, "m": {"path": "north_sites", "via": "main_project_id", "order_by": "sid"}}}')
     = ARRAY(SELECT to_jsonb(b) || jsonb_build_object(
                'n', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.sid) FROM jobs jb JOIN north_sites s ON s.sid = jb.site_id
                               WHERE jb.big_project_id = b.big_project_id), '[]'),
                'm', coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.sid) FROM north_sites s
                               WHERE s.main_project_id = b.big_project_id), '[]'))
             FROM big_projects b ORDER BY big_project_id) AS view_targets;
INSERT INTO jobs VALUES (5, 'seal', 3, 3);
SELECT got('jobs', '{"order_by": "job_id", "include": ["north_sites"]}')
     = ARRAY(SELECT to_jsonb(jb) || jsonb_build_object('north_sites',
                (SELECT to_jsonb(s) FROM north_sites s WHERE s.sid = jb.site_id))
             FROM jobs jb ORDER BY job_id) AS forward_to_view;
-- the view hides main_project_id: only the many-to-many leads to it
SELECT got('big_projects', '{"order_by": "big_project_id", "include": {"site_names": {"order_by": "site_id"}}}')
     = ARRAY(SELECT to_jsonb(b) || jsonb_build_object('site_names',
                coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.site_id) FROM jobs jb JOIN site_names s USING (site_id)
                          WHERE jb.big_project_id = b.big_project_id), '[]'))
             FROM big_projects b ORDER BY big_project_id) AS view_target_columns;
SELECT (t.parent).name, t.children
FROM relprefetch.fetch_children(NULL::big_projects, NULL::north_sites[], via => 'main_project') t ORDER BY (t.parent).big_project_id;
-- a table's own names do not reach its views
SELECT err('jobs', '{"include": {"x": {"path": "site", "via": "north_sites"}}}');

-- a view's security: its rows are what it shows, read with its owner's
-- rights on its table; the includes with the caller's
CREATE ROLE regress_emb_owner;
CREATE ROLE regress_emb_reader;
GRANT USAGE ON SCHEMA emb TO regress_emb_owner, regress_emb_reader;
GRANT SELECT ON sites TO regress_emb_owner;
GRANT EXECUTE ON FUNCTION got(regclass, jsonb), err(regclass, jsonb) TO regress_emb_reader;
CREATE VIEW lone_sites WITH (security_barrier) AS
    SELECT site_id, name, main_project_id FROM sites WHERE site_id = 1;
ALTER VIEW lone_sites OWNER TO regress_emb_owner;
GRANT SELECT ON lone_sites TO regress_emb_reader;
SET ROLE regress_emb_reader;
SELECT j FROM relprefetch.fetch_json('lone_sites', '{"columns": ["name"]}') j;
-- the base table itself, and an include of a table it may not read
SELECT err('sites', '{}');
SELECT err('lone_sites', '{"include": ["main_project"]}');
RESET ROLE;
GRANT SELECT ON big_projects TO regress_emb_reader;
SET ROLE regress_emb_reader;
SELECT j FROM relprefetch.fetch_json('lone_sites', '{"columns": ["name"], "include": {"main_project": {"columns": ["name"]}}}') j;
-- and the view as a target, read with its owner's rights on its table
SELECT j FROM relprefetch.fetch_json('big_projects', '{"columns": ["name"], "where": "big_project_id = 1", "include": {"lone_sites": {"via": "main_project", "columns": ["name"]}}}') j;
RESET ROLE;

-- a relationship that a view's change removes: the plan is made again
CREATE OR REPLACE VIEW site_names AS SELECT site_id, name, main_project_id FROM sites;
SELECT count(*) FROM relprefetch.fetch_json('site_names', '{"include": ["main_project"]}');

SET client_min_messages = warning;
DROP SCHEMA emb CASCADE;
DROP ROLE regress_emb_owner;
DROP ROLE regress_emb_reader;
