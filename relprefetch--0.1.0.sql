/* relprefetch--0.1.0.sql: objects of relprefetch 0.1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION relprefetch" to load this file. \quit

-- Everyone may look at the view and the info; reset() stays restricted.
GRANT USAGE ON SCHEMA relprefetch TO PUBLIC;

-- Every repeated query shape (N+1 suspect) recorded in shared memory.
CREATE FUNCTION relprefetch.stats(
    OUT userid oid,
    OUT dbid oid,
    OUT fingerprint bigint,
    OUT queryid bigint,
    OUT query text,
    OUT units bigint,
    OUT calls bigint,
    OUT max_repeats bigint,
    OUT total_time double precision,
    OUT source_query text,
    OUT relid oid,
    OUT relation text,
    OUT foreign_key text,
    OUT suggestion text,
    OUT first_seen timestamp with time zone,
    OUT last_seen timestamp with time zone
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'relprefetch_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW relprefetch.stats AS
    SELECT * FROM relprefetch.stats();

GRANT SELECT ON relprefetch.stats TO PUBLIC;

-- Forget recorded repeats: all of them, or those of one user, database or
-- fingerprint (0 matches any).
CREATE FUNCTION relprefetch.reset(
    userid oid DEFAULT 0,
    dbid oid DEFAULT 0,
    fingerprint bigint DEFAULT 0
)
RETURNS timestamp with time zone
AS 'MODULE_PATHNAME', 'relprefetch_reset'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

REVOKE ALL ON FUNCTION relprefetch.reset(oid, oid, bigint) FROM PUBLIC;

-- The query shapes counted so far in this session's current unit of work.
CREATE FUNCTION relprefetch.unit_queries(
    OUT fingerprint bigint,
    OUT calls bigint,
    OUT total_time double precision,
    OUT repeated boolean,
    OUT query text
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'relprefetch_unit_queries'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- State of the shared table: entries, capacity, evictions, last reset.
CREATE FUNCTION relprefetch.info(
    OUT entries bigint,
    OUT max_entries bigint,
    OUT evictions bigint,
    OUT stats_reset timestamp with time zone
)
RETURNS record
AS 'MODULE_PATHNAME', 'relprefetch_info'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW relprefetch.info AS
    SELECT * FROM relprefetch.info();

GRANT SELECT ON relprefetch.info TO PUBLIC;
