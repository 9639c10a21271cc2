/*-------------------------------------------------------------------------
 *
 * rp_citus.c
 *	  What relprefetch knows of Citus, found at run time.
 *
 * Citus (distributed PostgreSQL) keeps a table's rows in shards on other
 * nodes: on the node a client queries, the table itself is empty, its
 * plans are one Custom Scan, and the shards are tables named after it with
 * the shard's number ("blog_comment_102178").  Two things relprefetch
 * needs to know there, both looked up by name in the current database's
 * catalogs, so that relprefetch neither links with Citus nor needs it:
 *	- whether a table is one Citus plans (listed in pg_dist_partition): a
 *	  fetch's keyed queries on it get a custom plan per run, since Citus
 *	  cannot plan "= ANY($1)" without the parameter's value;
 *	- how many rows it has, in how many shards: from the sizes of its
 *	  shards (citus_shard_sizes(), run through SPI), kept per backend for
 *	  RP_CITUS_SIZE_TTL seconds, so that a fetch chooses between keyed and
 *	  whole-table reads there too (rp_fetch_exec.c);
 *	- whether all rows of equal keys are in one shard (the table is
 *	  distributed by hash of a key column), so that an include's rows may
 *	  be sorted in each shard rather than all together on this node
 *	  (rp_fetch_plan.c);
 *	- which distributed table a shard belongs to (pg_dist_shard, and the
 *	  rule by which Citus names shards, long names included), so that
 *	  detection reports shards as the table the user declared.
 * Sessions that Citus opens itself (application_name "citus_internal
 * gpid=...") are told apart by rp_citus_internal_session (rp_citus.h).
 *
 * Everything is backend-local.  Detection never waits for a lock here:
 * rp_citus_shard_owner gives up when its catalog is locked and nowait
 * is set.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/primnodes.h"
#include "optimizer/plancat.h"
#include "parser/parse_func.h"
#include "storage/itemid.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "rp_citus.h"

/* Seconds the sizes of Citus's tables are kept before they are asked again */
#define RP_CITUS_SIZE_TTL	60

/* What an index entry takes per row, roughly: header, key, line pointer */
#define RP_CITUS_INDEX_ENTRY	24

/* The size of a Citus table's shards, summed (one placement of each) */
typedef struct RpCitusSize
{
	Oid			relid;			/* hash key */
	double		bytes;
	int			shards;
} RpCitusSize;

/* Tables whose Citus facts are kept, most recently asked first */
#define RP_CITUS_CACHE		16

typedef struct RpCitusFacts
{
	Oid			relid;			/* InvalidOid: an empty slot */
	bool		citus;			/* listed in pg_dist_partition */
} RpCitusFacts;

static RpCitusFacts rp_citus_cache[RP_CITUS_CACHE];
static bool rp_citus_callback_set = false;
static HTAB *rp_citus_sizes = NULL;
static TimestampTz rp_citus_sizes_read = 0;

/* Every Citus table's size: one row per table, from every node at once */
static const char *rp_citus_sizes_sql =
"SELECT s.logicalrelid::pg_catalog.oid, "
"pg_catalog.sum(z.size)::pg_catalog.float8, pg_catalog.count(*)::pg_catalog.int4 "
"FROM (SELECT shard_id, pg_catalog.max(size) AS size "
"      FROM pg_catalog.citus_shard_sizes() GROUP BY shard_id) z "
"JOIN pg_catalog.pg_dist_shard s ON s.shardid OPERATOR(pg_catalog.=) z.shard_id "
"GROUP BY s.logicalrelid";

/* Is name that of a connection Citus opened (see rp_citus.h)? */
bool
rp_citus_internal_name(const char *name)
{
	return strncmp(name, "citus_", 6) == 0 && strstr(name, " gpid=") != NULL;
}

/*
 * Find the row of Citus's metadata table catalog whose column keycol
 * equals value (through index, when it exists), and return column
 * wantcol of it, or InvalidOid.  *present is set to whether the catalog
 * exists.  With nowait, gives up when the catalog is locked.
 */
static Datum
rp_citus_lookup(const char *catalog, const char *index, const char *keycol,
				Oid keytype, Datum value, const char *wantcol, bool nowait,
				bool *present, bool *found)
{
	Oid			catoid = get_relname_relid(catalog, PG_CATALOG_NAMESPACE);
	Oid			indexoid;
	AttrNumber	keyatt;
	AttrNumber	wantatt;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Datum		result = (Datum) 0;
	RegProcedure eqproc = keytype == INT8OID ? F_INT8EQ : F_OIDEQ;

	*present = OidIsValid(catoid);
	*found = false;
	if (!*present)
		return result;
	if (nowait)
	{
		if (!ConditionalLockRelationOid(catoid, AccessShareLock))
			return result;
		rel = table_open(catoid, NoLock);
	}
	else
		rel = table_open(catoid, AccessShareLock);

	keyatt = get_attnum(catoid, keycol);
	wantatt = get_attnum(catoid, wantcol);
	indexoid = get_relname_relid(index, PG_CATALOG_NAMESPACE);
	if (keyatt == InvalidAttrNumber || wantatt == InvalidAttrNumber)
	{
		table_close(rel, AccessShareLock);
		return result;
	}

	/* the index must lead with the key column: it is Citus's, check */
	if (OidIsValid(indexoid) && get_attnum(indexoid, keycol) != 1)
		indexoid = InvalidOid;
	ScanKeyInit(&key, keyatt, BTEqualStrategyNumber, eqproc, value);
	scan = systable_beginscan(rel, indexoid, OidIsValid(indexoid), NULL, 1,
							  &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;

		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel),
											  wantatt - 1);

		result = heap_getattr(tuple, wantatt, RelationGetDescr(rel), &isnull);
		*found = !isnull;
		/* a value by reference must outlive the scan */
		if (*found)
			result = datumCopy(result, att->attbyval, att->attlen);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * Citus sends a relation cache invalidation for a table whose metadata
 * changes (create_distributed_table, undistribute_table): forget it.
 */
static void
rp_citus_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < RP_CITUS_CACHE; i++)
	{
		if (relid == InvalidOid || rp_citus_cache[i].relid == relid)
			rp_citus_cache[i].relid = InvalidOid;
	}
}

/*
 * Is relid a table that Citus plans (distributed, reference, or a local
 * table added to its metadata)?  False when Citus is not installed in
 * this database.  The answers for the last few tables asked are kept.
 */
bool
rp_citus_table(Oid relid)
{
	RpCitusFacts facts;
	bool		present;
	int			i;

	for (i = 0; i < RP_CITUS_CACHE; i++)
	{
		if (rp_citus_cache[i].relid == relid)
			break;
	}
	if (i < RP_CITUS_CACHE)
		facts = rp_citus_cache[i];
	else
	{
		if (!rp_citus_callback_set)
		{
			CacheRegisterRelcacheCallback(rp_citus_relcache_callback,
										  (Datum) 0);
			rp_citus_callback_set = true;
		}
		i = RP_CITUS_CACHE - 1;
		facts.relid = relid;
		(void) rp_citus_lookup("pg_dist_partition",
							   "pg_dist_partition_logical_relid_index",
							   "logicalrelid", OIDOID,
							   ObjectIdGetDatum(relid), "logicalrelid",
							   false, &present, &facts.citus);
	}
	/* most recently asked first */
	memmove(&rp_citus_cache[1], &rp_citus_cache[0], sizeof(RpCitusFacts) * i);
	rp_citus_cache[0] = facts;
	return facts.citus;
}

/*
 * The name Citus gives shard shardid of a table named name, into buf
 * (NAMEDATALEN bytes): the name followed by "_<shardid>" when that fits in
 * a name (NAMEDATALEN - 1 bytes); otherwise the name is cut, at a
 * character boundary, to leave room for "_", the name's hash (hash_bytes,
 * in 8 hexadecimal digits) and "_<shardid>", so that tables whose long
 * names begin alike get shards of different names.
 */
static void
rp_citus_shard_name(const char *name, int64 shardid, char *buf)
{
	char		suffix[32];		/* "_" and a 64-bit number */
	int			len = strlen(name);
	int			suffixlen;

	suffixlen = snprintf(suffix, sizeof(suffix), "_" INT64_FORMAT, shardid);
	if (len + suffixlen < NAMEDATALEN)
		snprintf(buf, NAMEDATALEN, "%s%s", name, suffix);
	else
		snprintf(buf, NAMEDATALEN, "%.*s_%08x%s",
				 pg_mbcliplen(name, len, NAMEDATALEN - 1 - 9 - suffixlen),
				 name, hash_bytes((const unsigned char *) name, len), suffix);
}

/*
 * The distributed table whose shard relid is ("blog_comment_102178" is a
 * shard of "blog_comment" in the same schema, when pg_dist_shard says
 * shard 102178 is one of its; a long name is cut and hashed, see
 * rp_citus_shard_name), or InvalidOid.  With nowait, gives up when
 * Citus's catalog is locked.
 */
Oid
rp_citus_shard_owner(Oid relid, bool nowait)
{
	char	   *name = get_rel_name(relid);
	char	   *p;
	char	   *end;
	int64		shardid;
	bool		present;
	bool		found;
	Oid			owner;
	char	   *ownername;
	char		shardname[NAMEDATALEN];

	if (name == NULL || (p = strrchr(name, '_')) == NULL ||
		p[1] < '0' || p[1] > '9')
		return InvalidOid;
	errno = 0;
	shardid = strtoi64(p + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return InvalidOid;
	owner = DatumGetObjectId(rp_citus_lookup("pg_dist_shard",
											 "pg_dist_shard_shardid_index",
											 "shardid", INT8OID,
											 Int64GetDatum(shardid),
											 "logicalrelid", nowait,
											 &present, &found));
	if (!found || owner == relid)
		return InvalidOid;
	ownername = get_rel_name(owner);
	if (ownername == NULL ||
		get_rel_namespace(owner) != get_rel_namespace(relid))
		return InvalidOid;
	rp_citus_shard_name(ownername, shardid, shardname);
	return strcmp(shardname, name) == 0 ? owner : InvalidOid;
}

/* Read the sizes of every Citus table again; false if Citus has no way */
static bool
rp_citus_read_sizes(void)
{
	HASHCTL		ctl;
	uint64		i;
	int			rc;

	if (!OidIsValid(LookupFuncName(list_make2(makeString("pg_catalog"),
											  makeString("citus_shard_sizes")),
								   0, NULL, true)))
		return false;
	if (rp_citus_sizes != NULL)
		hash_destroy(rp_citus_sizes);
	rp_citus_sizes = NULL;
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RpCitusSize);
	ctl.hcxt = TopMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute(rp_citus_sizes_sql, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the sizes of Citus's tables failed: %s",
			 SPI_result_code_string(rc));
	rp_citus_sizes = hash_create("relprefetch Citus sizes",
								 Max(SPI_processed, 16), &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull[3];
		Oid			relid;
		RpCitusSize *entry;

		relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull[0]));
		entry = hash_search(rp_citus_sizes, &relid, HASH_ENTER, NULL);
		entry->bytes = DatumGetFloat8(SPI_getbinval(tuple, desc, 2,
													&isnull[1]));
		entry->shards = DatumGetInt32(SPI_getbinval(tuple, desc, 3,
													&isnull[2]));
		if (isnull[1])
			entry->bytes = 0;
	}
	SPI_finish();
	rp_citus_sizes_read = GetCurrentTimestamp();
	return true;
}

/*
 * How many rows Citus table relid has, and in how many shards, from the
 * sizes of its shards on the nodes that hold them (citus_shard_sizes(),
 * which Citus answers even after writes in the transaction; kept for
 * RP_CITUS_SIZE_TTL seconds), over what a row takes: its heap tuple as
 * the planner guesses its width, and an entry in each index.  False when
 * relid is not a Citus table or Citus gives no sizes.
 */
static bool
rp_citus_table_rows(Oid relid, double *rows, int *shards)
{
	RpCitusSize *entry;
	Relation	rel;
	double		width;

	if (!rp_citus_table(relid))
		return false;
	if ((rp_citus_sizes == NULL ||
		 TimestampDifferenceExceeds(rp_citus_sizes_read, GetCurrentTimestamp(),
									RP_CITUS_SIZE_TTL * 1000)) &&
		!rp_citus_read_sizes())
		return false;
	entry = hash_search(rp_citus_sizes, &relid, HASH_FIND, NULL);
	if (entry == NULL)
		return false;

	rel = relation_open(relid, AccessShareLock);
	width = MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData) +
		get_rel_data_width(rel, NULL) +
		RP_CITUS_INDEX_ENTRY * list_length(RelationGetIndexList(rel));
	relation_close(rel, NoLock);
	*rows = entry->bytes / width;
	*shards = Max(entry->shards, 1);
	return true;
}

/*
 * For a fetch's query of relid reading *keys keys: false when relid is not
 * a Citus table; otherwise *rows becomes its rows, and *keys what reading
 * them by key costs, in rows.  A Citus table is empty here, its rows are in
 * its shards, each of which gets the whole array of keys to plan: a key
 * costs about a row per shard that holds some of the keys.  Without sizes,
 * the rows are infinite: keyed reads, which Citus sends only to the shards
 * of the keys.
 */
bool
rp_citus_keys(Oid relid, double *keys, double *rows)
{
	int			shards;

	if (!rp_citus_table(relid))
		return false;
	if (rp_citus_table_rows(relid, rows, &shards))
		*keys *= Min(*keys, shards);
	else
		*rows = get_float8_infinity();
	return true;
}

/*
 * Run a keyed query of a Citus table.  Citus plans "= ANY($1)" only with
 * the value of $1: the keyed queries of a fetch are prepared for custom
 * plans, but plan_cache_mode = force_generic_plan overrides that.  Around
 * such a query, force custom plans instead, at a GUC nesting level of its
 * own (as the foreign key triggers set search_path); an error unwinds it
 * with the transaction.
 */
int
rp_citus_execute_keyed(SPIPlanPtr plan, const SPIExecuteOptions *options)
{
	int			nest;
	int			rc;

	if (plan_cache_mode != PLAN_CACHE_MODE_FORCE_GENERIC_PLAN)
		return SPI_execute_plan_extended(plan, options);
	nest = NewGUCNestLevel();
	(void) set_config_option("plan_cache_mode", "force_custom_plan",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	rc = SPI_execute_plan_extended(plan, options);
	AtEOXact_GUC(true, nest);
	return rc;
}

/*
 * Are all rows of relid with equal values of columns cols (ncols of them)
 * in one shard?  True when Citus distributes relid by hash of one of these
 * columns (pg_dist_partition's partmethod 'h', partkey a Var of it), as
 * comments by post: each shard then holds every row of the values it holds.
 * False for any other table, Citus's or not.
 */
bool
rp_citus_key_in_one_shard(Oid relid, const AttrNumber *cols, int ncols)
{
	Datum		value;
	bool		present;
	bool		found;
	Node	   *partkey;
	int			i;

	if (!rp_citus_table(relid))
		return false;
	value = rp_citus_lookup("pg_dist_partition",
							"pg_dist_partition_logical_relid_index",
							"logicalrelid", OIDOID, ObjectIdGetDatum(relid),
							"partmethod", false, &present, &found);
	if (!found || DatumGetChar(value) != 'h')
		return false;
	value = rp_citus_lookup("pg_dist_partition",
							"pg_dist_partition_logical_relid_index",
							"logicalrelid", OIDOID, ObjectIdGetDatum(relid),
							"partkey", false, &present, &found);
	if (!found)
		return false;
	partkey = stringToNode(TextDatumGetCString(value));
	if (partkey == NULL || !IsA(partkey, Var))
		return false;
	for (i = 0; i < ncols; i++)
	{
		if (cols[i] == ((Var *) partkey)->varattno)
			return true;
	}
	return false;
}
