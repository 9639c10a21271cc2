/* relprefetch--0.1.0--0.2.0.sql: the fetch functions, and end_unit() */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION relprefetch UPDATE TO '0.2.0'" to load this file. \quit

-- Both run with the caller's rights (not SECURITY DEFINER): privileges,
-- column privileges and row-level security apply to every table they read.

CREATE FUNCTION relprefetch.fetch_json(parent regclass, spec jsonb DEFAULT '{}')
RETURNS SETOF json
AS 'MODULE_PATHNAME', 'relprefetch_fetch_json'
LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION relprefetch.fetch_json(regclass, jsonb) IS
'One JSON object per row of parent, with the related rows the spec includes';

CREATE FUNCTION relprefetch.fetch_children(
    parent anyelement,
    children anycompatiblearray,
    via text DEFAULT NULL,
    parent_where text DEFAULT NULL,
    child_where text DEFAULT NULL,
    child_order_by text DEFAULT NULL,
    child_limit integer DEFAULT NULL)
RETURNS TABLE (parent anyelement, children anycompatiblearray)
AS 'MODULE_PATHNAME', 'relprefetch_fetch_children'
LANGUAGE C CALLED ON NULL INPUT STABLE;

COMMENT ON FUNCTION relprefetch.fetch_children(anyelement, anycompatiblearray, text, text, text, text, integer) IS
'Each row of the parent''s table with the array of its child rows';

-- Ends the session's unit of work, even inside a transaction: for test
-- frameworks that run many tests in one transaction.
CREATE FUNCTION relprefetch.end_unit()
RETURNS void
AS 'MODULE_PATHNAME', 'relprefetch_end_unit'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION relprefetch.end_unit() IS
'Ends this session''s unit of work, even inside a transaction';
