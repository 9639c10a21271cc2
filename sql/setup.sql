--
-- setup: the extension (created by pg_regress) and a small blog schema
-- shaped like the Django article's, shared by the tests that follow.
--
SELECT extname, extversion, extnamespace::regnamespace AS schema
FROM pg_extension WHERE extname = 'relprefetch';

-- settings the tests rely on (regress.conf)
SHOW relprefetch.unit_gap;
SHOW relprefetch.threshold;

CREATE TABLE blog_country (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE blog_author (
    id int PRIMARY KEY,
    name text NOT NULL,
    country_id int REFERENCES blog_country (id)
);
CREATE TABLE blog_post (
    id int PRIMARY KEY,
    title text NOT NULL,
    author_id int NOT NULL REFERENCES blog_author (id)
);
CREATE INDEX ON blog_post (author_id);
CREATE TABLE blog_tag (
    id int PRIMARY KEY,
    name text NOT NULL UNIQUE,
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE blog_post_tags (
    id serial PRIMARY KEY,
    post_id int NOT NULL REFERENCES blog_post (id),
    tag_id int NOT NULL REFERENCES blog_tag (id),
    UNIQUE (post_id, tag_id)
);
CREATE TABLE blog_comment (
    id int PRIMARY KEY,
    post_id int NOT NULL REFERENCES blog_post (id),
    parent_id int REFERENCES blog_comment (id),
    body text NOT NULL
);
CREATE INDEX ON blog_comment (post_id);

INSERT INTO blog_country SELECT g, 'country ' || g FROM generate_series(1, 5) g;
INSERT INTO blog_author SELECT g, 'author ' || g, 1 + g % 5 FROM generate_series(1, 10) g;
INSERT INTO blog_post SELECT g, 'post ' || g, 1 + g % 10 FROM generate_series(1, 30) g;
INSERT INTO blog_tag SELECT g, 'tag ' || g, g % 4 <> 0 FROM generate_series(1, 8) g;
INSERT INTO blog_post_tags (post_id, tag_id)
    SELECT p, 1 + (p + k) % 8 FROM generate_series(1, 30) p, generate_series(0, 2) k;
INSERT INTO blog_comment SELECT g, 1 + g % 30, NULL, 'comment ' || g FROM generate_series(1, 60) g;
ANALYZE;

-- What the tests show of relprefetch.stats: names rather than OIDs, no
-- timings, and without the tests' own inspection queries.
CREATE VIEW rp_stats AS
    SELECT r.rolname AS username,
           d.datname = current_database() AS this_db,
           s.query, s.units, s.calls, s.max_repeats,
           s.source_query, s.relation, s.foreign_key, s.suggestion
    FROM relprefetch.stats s
    JOIN pg_roles r ON r.oid = s.userid
    JOIN pg_database d ON d.oid = s.dbid
    WHERE s.query NOT LIKE '%rp\_stats%' AND s.query NOT LIKE '%relprefetch.%';

-- The current unit, likewise.
CREATE VIEW rp_unit AS
    SELECT query, calls, repeated
    FROM relprefetch.unit_queries()
    WHERE query NOT LIKE '%rp\_unit%' AND query NOT LIKE '%rp\_stats%'
      AND query NOT LIKE '%relprefetch.%';

SELECT relprefetch.reset() IS NOT NULL AS reset;
