/* relprefetch--0.2.0--0.3.0.sql: proven loops (the proof column, the unproven count, the suggested call) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION relprefetch UPDATE TO '0.3.0'" to load this file. \quit

-- relprefetch.stats gains "proof": where a proven loop's keys came from,
-- and "suggested_call": the SQL call of the suggestion, alone.
DROP VIEW relprefetch.stats;
DROP FUNCTION relprefetch.stats();

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
    OUT last_seen timestamp with time zone,
    OUT proof text,
    OUT suggested_call text
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'relprefetch_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW relprefetch.stats AS
    SELECT * FROM relprefetch.stats();

GRANT SELECT ON relprefetch.stats TO PUBLIC;

-- relprefetch.info gains "unproven": repeats left out for lack of proof.
DROP VIEW relprefetch.info;
DROP FUNCTION relprefetch.info();

CREATE FUNCTION relprefetch.info(
    OUT entries bigint,
    OUT max_entries bigint,
    OUT evictions bigint,
    OUT stats_reset timestamp with time zone,
    OUT unproven bigint
)
RETURNS record
AS 'MODULE_PATHNAME', 'relprefetch_info'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW relprefetch.info AS
    SELECT * FROM relprefetch.info();

GRANT SELECT ON relprefetch.info TO PUBLIC;
