--
-- guc: every setting, its default, and the errors for invalid values
--
SELECT name, boot_val, unit, context, vartype, min_val, max_val, enumvals
FROM pg_settings WHERE name LIKE 'relprefetch.%' ORDER BY name COLLATE "C";

-- invalid values are rejected, naming the valid ones
SET relprefetch.threshold = 1;
SET relprefetch.threshold = 'many';
SET relprefetch.track = 'nested';
SET relprefetch.on_detect = 'panic';
-- (by its SQLSTATE: PostgreSQL 18 words the range with units)
\set VERBOSITY sqlstate
SET relprefetch.unit_gap = -1;
\set VERBOSITY default
SET relprefetch.unit_gap = '1 fortnight';
SET relprefetch.enabled = 'maybe';
\set VERBOSITY sqlstate
SET relprefetch.fetch_pool_size = -1;
SET relprefetch.fetch_pool_size = '2GB';
SET relprefetch.fetch_keep_size = -1;
SET relprefetch.fetch_keep_size = '2GB';
\set VERBOSITY default
SET relprefetch.fetch_pool_size = 'lots';
-- set at server start only, and reserved prefix
SET relprefetch.max = 200;
SET relprefetch.save = off;
SET relprefetch.no_such_setting = 1;

-- valid values, units included
SET relprefetch.unit_gap = '2s';
SHOW relprefetch.unit_gap;
SET relprefetch.on_detect = WARNING;
SHOW relprefetch.on_detect;
RESET relprefetch.on_detect;
RESET relprefetch.unit_gap;
SHOW relprefetch.unit_gap;
SHOW relprefetch.fetch_pool_size;
SET relprefetch.fetch_pool_size = '32MB';
SHOW relprefetch.fetch_pool_size;
SET relprefetch.fetch_pool_size = 0;
SHOW relprefetch.fetch_pool_size;
RESET relprefetch.fetch_pool_size;
SHOW relprefetch.fetch_keep_size;
SET relprefetch.fetch_keep_size = '1MB';
SHOW relprefetch.fetch_keep_size;
RESET relprefetch.fetch_keep_size;
