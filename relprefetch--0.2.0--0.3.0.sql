/* relprefetch--0.2.0--0.3.0.sql: no change to the SQL objects */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION relprefetch UPDATE TO '0.3.0'" to load this file. \quit

-- 0.3.0 builds on PostgreSQL 14 to 19; its objects are those of 0.2.0.
