/*-------------------------------------------------------------------------
 *
 * rp_fetch_query.c
 *	  Running one query of a fetch for a batch: which of its forms, and
 *	  with what parameters.
 *
 * A node's query has up to three forms (rp_fetch_sql.c writes them): all
 * rows, keyed by "= ANY($1)", and, for a key of one integer column, a
 * range "key >= $1 AND key <= $2".  Which one runs is chosen per batch
 * from the batch's keys (rp_fetch_map.h) and the size of the table they
 * are keys of; the rows go to the caller's receiver, which drops those of
 * keys the batch did not ask for.  Whether a small to-one include is read
 * once for the whole call instead is decided here too
 * (rp_fetch_keep_rows), and its kept rows are matched to each batch's
 * (rp_fetch_kept_attach, rp_fetch_kept_match).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "optimizer/plancat.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "rp_citus.h"
#include "rp_fetch.h"
#include "rp_fetch_map.h"

/*
 * Use the keyed query when the batch has fewer keys than half the rows of
 * the table they are keys of.  (A tenth was measured too: at 100,000 posts
 * in batches of 10,000, it scanned every comment ten times and took half
 * as long again as probing the index for each batch's keys.)
 */
#define RP_KEYED_FRACTION	2

int			rp_fetch_keep_size = RP_FETCH_KEEP_DEFAULT;

/*
 * How many rows the planner thinks relid has (a partitioned table: its
 * partitions); -1 if it cannot tell.
 */
double
rp_fetch_estimated_rows(Oid relid)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	double		tuples = rel->rd_rel->reltuples;

	if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
	{
		BlockNumber pages;
		double		allvisfrac;

		estimate_rel_size(rel, NULL, &pages, &tuples, &allvisfrac);
	}
	else if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		ListCell   *lc;

		tuples = 0;
		foreach(lc, find_all_inheritors(relid, AccessShareLock, NULL))
		{
			Oid			part = lfirst_oid(lc);

			if (part != relid && get_rel_relkind(part) != RELKIND_PARTITIONED_TABLE)
				tuples += Max(rp_fetch_estimated_rows(part), 0);
		}
	}
	relation_close(rel, NoLock);
	return tuples;
}

/*
 * Bytes the rows of node, a to-one include, and of its includes take when
 * read for the whole call (at most most of them, unless most is -1): per
 * row its text (about the table's row width and the labels), the row, its
 * group, its key, and its place in a key map with room to spare; -1 when
 * they cannot be kept: an include below that gives several rows (they
 * would be a table's worth), a table of unknown size, or a Citus table
 * (the planner's estimate on the coordinator is not the shards').
 */
static double
rp_keep_bytes(RpNode *node, double most)
{
	char		relkind = get_rel_relkind(node->relid);
	double		rows;
	double		row;
	double		bytes;
	int			i;

	if (!node->to_one || node->junction || node->typed ||
		rp_citus_table(node->relid) ||
		(relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		 relkind != RELKIND_PARTITIONED_TABLE))
		return -1;
	rows = rp_fetch_estimated_rows(node->relid);
	if (rows < 0)
		return -1;
	if (most >= 0)
		rows = Min(rows, most);
	row = get_relation_data_width(node->relid, NULL) +
		sizeof(RpRow) + sizeof(RpGroup) + 2 * sizeof(RpMapEntry) +
		(sizeof(RpGroup *) + sizeof(Datum) + sizeof(bool)) * node->nincludes +
		(sizeof(Datum) + sizeof(bool)) * node->nrowkeys +
		sizeof(Datum) * node->key.nkeys;
	for (i = 0; i < node->ncolumns; i++)
		row += node->columns[i].labellen + 2;
	bytes = rows * row;
	for (i = 0; i < node->nincludes; i++)
	{
		double		more = rp_keep_bytes(node->includes[i], rows);

		if (more < 0)
			return -1;
		bytes += more;
	}
	return bytes;
}

/*
 * Whether to read the rows of node, a to-one include, once for the whole
 * call rather than batch by batch, given the keys the call is expected to
 * look up in all: when its table has fewer rows than RP_KEYED_FRACTION of
 * those keys (the bound between the keyed form and a scan of all rows for
 * one batch, taken over the call), and they fit, with the rows of its
 * includes, in relprefetch.fetch_keep_size.  Returns the rows expected,
 * or -1 for no.
 */
double
rp_fetch_keep_rows(RpNode *node, double lookups)
{
	double		rows;
	double		bytes;

	if (rp_fetch_keep_size <= 0)
		return -1;
	rows = rp_fetch_estimated_rows(node->relid);
	if (rows < 0 || rows * RP_KEYED_FRACTION > lookups)
		return -1;
	bytes = rp_keep_bytes(node, -1);
	if (bytes < 0 || bytes > (double) rp_fetch_keep_size * 1024.0)
		return -1;
	return rows;
}

/*
 * Point each row to the kept rows of its key for include inc of node, by
 * one look-up in their map per row (NULL: a null key, or no row)
 */
void
rp_fetch_kept_attach(RpNode *node, int inc, rpmap_hash *kept, RpRow **rows,
					 int nrows)
{
	int			off = node->include_keyoff[inc];
	const RpKeyType *type = &node->includes[inc]->key;
	int			nkeys = type->nkeys;
	int			i;

	for (i = 0; i < nrows; i++)
	{
		RpRow	   *row = rows[i];
		RpMapEntry *entry;
		RpKey		key;
		int			k;

		for (k = 0; k < nkeys; k++)
		{
			if (row->keynulls[off + k])
				break;
		}
		if (k < nkeys)
			continue;

		/*
		 * (By hash, as rp_fetch_kept_match looks up: one more caller of
		 * rpmap_lookup had the compiler stop inlining it into rp_receive,
		 * 0.4% more instructions for every fetch.)
		 */
		key = rp_key(&row->keys[off]);
		entry = rpmap_lookup_hash(kept, key, rp_key_hash(type, key));
		if (entry != NULL)
			row->groups[inc] = entry->group;
	}
}

/* Give each group of a batch's map the kept rows of its key */
void
rp_fetch_kept_match(rpmap_hash *map, rpmap_hash *kept)
{
	rpmap_iterator it;
	RpMapEntry *entry;

	rpmap_start_iterate(map, &it);
	while ((entry = rpmap_iterate(map, &it)) != NULL)
	{
		RpMapEntry *found = rpmap_lookup_hash(kept, entry->key, entry->hash);

		if (found != NULL)
			*entry->group = *found->group;
	}
}

/* The parameters of a keyed query: per key column, the array of values */
static ParamListInfo
rp_key_params(RpQuery *query, rpmap_hash *map, const RpKeyType *type)
{
	ParamListInfo params = makeParamList(type->nkeys);
	Datum	   *values = palloc(sizeof(Datum) * map->members);
	int			k;

	for (k = 0; k < type->nkeys; k++)
	{
		rpmap_iterator it;
		RpMapEntry *entry;
		int			n = 0;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		rpmap_start_iterate(map, &it);
		while ((entry = rpmap_iterate(map, &it)) != NULL)
			values[n++] = k == 0 ? entry->key.first : entry->key.values[k];
		get_typlenbyvalalign(type->typid[k], &typlen, &typbyval, &typalign);
		params->params[k].value =
			PointerGetDatum(construct_array(values, n, type->typid[k],
											typlen, typbyval, typalign));
		params->params[k].isnull = false;
		params->params[k].pflags = PARAM_FLAG_CONST;
		params->params[k].ptype = query->paramtypes[k];
	}
	return params;
}

/*
 * Make sure the generic plan of a keyed query sorted by its key first
 * (RpQuery.key_sorted) is made with enable_sort off.  Such a plan is made
 * for "= ANY($1)" with an array of unknown length, which the planner takes
 * for a few rows: it would sort the whole batch at once, which at ten
 * thousand parents of five children each spills to disk every batch,
 * rather than read the rows in key order from an index on the key and sort
 * each key's rows on their own (an incremental sort: a few kB however big
 * the batch).  Only the full sort is put off; a table without an index on
 * the key still gets one, and before PostgreSQL 18 its cost then counts as
 * huge, which would have the plan compiled by JIT at every run: jit is off
 * too (a generic plan of a few estimated rows never qualifies for it
 * anyway).  Done here, just before the query runs, rather
 * than when it is prepared, so that a plan made again after an
 * invalidation (an ANALYZE of the table) is made the same way; the setting
 * holds only while the plan is checked or made, at a GUC nesting level of
 * its own, so the query's own functions never see it.
 */
static void
rp_plan_key_sorted(SPIPlanPtr plan)
{
	int			nest;
	CachedPlan *cplan;

	/* every run gets a custom plan then, made under the session's settings */
	if (plan_cache_mode == PLAN_CACHE_MODE_FORCE_CUSTOM_PLAN)
		return;
	nest = NewGUCNestLevel();

	(void) set_config_option("enable_sort", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	cplan = SPI_plan_get_cached_plan(plan);
	AtEOXact_GUC(true, nest);
	if (cplan != NULL)
		ReleaseCachedPlan(cplan, CurrentResourceOwner);
}

/* An integer key's value (rp_sql_key_is_integer) */
static inline int64
rp_key_integer(Oid typid, Datum value)
{
	if (typid == INT2OID)
		return DatumGetInt16(value);
	if (typid == INT4OID)
		return DatumGetInt32(value);
	return DatumGetInt64(value);
}

/*
 * The parameters of query's range form for the keys in map, when they
 * are dense enough for it: at least one key in RP_KEYED_FRACTION of the
 * values from the least to the greatest, so that the range holds the
 * rows of at most about as many other keys as the batch's own (those rows
 * are dropped as they arrive, rp_receive), the bound a scan of all rows
 * keeps too; NULL otherwise.
 */
static ParamListInfo
rp_range_params(RpQuery *query, rpmap_hash *map, const RpKeyType *type)
{
	ParamListInfo params;
	rpmap_iterator it;
	RpMapEntry *entry;
	Oid			typid = type->typid[0];
	int64		least = PG_INT64_MAX;
	int64		greatest = PG_INT64_MIN;
	int			i;

	if (query->sql_range == NULL || type->nkeys != 1 || map->members == 0)
		return NULL;
	rpmap_start_iterate(map, &it);
	while ((entry = rpmap_iterate(map, &it)) != NULL)
	{
		int64		value = rp_key_integer(typid, entry->key.first);

		least = Min(least, value);
		greatest = Max(greatest, value);
	}
	if ((double) greatest - (double) least + 1 >
		(double) map->members * RP_KEYED_FRACTION)
		return NULL;

	params = makeParamList(2);
	params->params[0].value = typid == INT2OID ? Int16GetDatum((int16) least) :
		typid == INT4OID ? Int32GetDatum((int32) least) : Int64GetDatum(least);
	params->params[1].value = typid == INT2OID ? Int16GetDatum((int16) greatest) :
		typid == INT4OID ? Int32GetDatum((int32) greatest) : Int64GetDatum(greatest);
	for (i = 0; i < 2; i++)
	{
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = typid;
	}
	return params;
}

/*
 * Run query for the keys in map (every row when map is NULL), sending its
 * rows to dest; rows is rp_fetch_estimated_rows of its sized_by.  Few keys next
 * to the table's rows: the keyed form, or the range form when the keys fill
 * most of their range (a descent of the index per key costs several times
 * a step along it: at 100,000 posts in batches of 10,000, the descents were
 * a quarter of a whole-graph call's instructions).
 */
void
rp_fetch_run_query(RpQuery *query, rpmap_hash *map, const RpKeyType *type,
				   DestReceiver *dest, double rows)
{
	SPIExecuteOptions options;
	double		keys = map != NULL ? map->members : 0;
	bool		citus = map != NULL && rp_citus_keys(query->sized_by, &keys, &rows);
	int			rc;

	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = dest;
	if (query->sql_keyed != NULL && rows >= 0 &&
		keys * RP_KEYED_FRACTION < rows)
	{
		ParamListInfo range = citus ? NULL :
		rp_range_params(query, map, type);
		SPIPlanPtr	plan = rp_fetch_query_plan(query, range != NULL ?
											   RP_FORM_RANGE : RP_FORM_KEYED);

		options.params = range != NULL ? range :
			rp_key_params(query, map, type);
		if (query->key_sorted && !citus)
			rp_plan_key_sorted(plan);
		rc = citus ? rp_citus_execute_keyed(plan, &options) :
			SPI_execute_plan_extended(plan, &options);
	}
	else
		rc = SPI_execute_plan_extended(rp_fetch_query_plan(query, RP_FORM_ALL),
									   &options);
	/* rows sent elsewhere than to SPI are reported as SPI_OK_UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "query of %s failed: %s", query->what,
			 SPI_result_code_string(rc));
}
