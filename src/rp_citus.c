/*-------------------------------------------------------------------------
 *
 * rp_citus.c
 *	  What relprefetch knows of Citus, found at run time.
 *
 * Citus (distributed PostgreSQL) keeps a table's rows in shards on other
 * nodes: on the node a client queries, the table itself is empty, its
 * plans are one Custom Scan, and the shards are tables named after it with
 * the shard's number ("blog_comment_102178").  Three things relprefetch
 * needs to know there, all looked up by name in the current database's
 * catalogs, so that relprefetch neither links with Citus nor needs it:
 *	- whether a table is one Citus plans (listed in pg_dist_partition):
 *	  a fetch's keyed queries on it get custom plans, since Citus cannot
 *	  plan "= ANY($1)" without the parameter's value;
 *	- how many rows it has: its size from citus_relation_size(), which
 *	  asks the nodes that hold its shards, divided by the width of a row;
 *	  kept per backend for RP_CITUS_SIZE_TTL seconds;
 *	- which distributed table a shard belongs to (pg_dist_shard), so that
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
#include "nodes/makefuncs.h"
#include "optimizer/plancat.h"
#include "parser/parse_func.h"
#include "storage/bufpage.h"
#include "storage/lmgr.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "rp_citus.h"

/* Seconds a table's size from Citus is kept before it is asked again */
#define RP_CITUS_SIZE_TTL	60

/* Tables whose Citus facts are kept, most recently asked first */
#define RP_CITUS_CACHE		16

typedef struct RpCitusFacts
{
	Oid			relid;
	bool		citus;			/* listed in pg_dist_partition */
	double		rows;			/* estimated; -1 until asked */
	TimestampTz checked;		/* when the facts were read */
} RpCitusFacts;

static RpCitusFacts rp_citus_cache[RP_CITUS_CACHE];

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

		result = heap_getattr(tuple, wantatt, RelationGetDescr(rel), &isnull);
		*found = !isnull;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* The kept facts of relid, or a slot to keep them in */
static RpCitusFacts *
rp_citus_facts(Oid relid, bool *hit)
{
	TimestampTz now = GetCurrentTimestamp();
	int			i;
	RpCitusFacts found;

	for (i = 0; i < RP_CITUS_CACHE; i++)
	{
		if (rp_citus_cache[i].relid == relid &&
			!TimestampDifferenceExceeds(rp_citus_cache[i].checked, now,
										RP_CITUS_SIZE_TTL * 1000))
			break;
	}
	*hit = i < RP_CITUS_CACHE;
	if (!*hit)
	{
		i = RP_CITUS_CACHE - 1;
		memset(&found, 0, sizeof(found));
		found.relid = relid;
		found.rows = -1;
		found.checked = now;
	}
	else
		found = rp_citus_cache[i];
	/* move it to the front */
	memmove(&rp_citus_cache[1], &rp_citus_cache[0], sizeof(RpCitusFacts) * i);
	rp_citus_cache[0] = found;
	return &rp_citus_cache[0];
}

/*
 * Is relid a table that Citus plans (distributed, reference, or a local
 * table added to its metadata)?  False when Citus is not installed in
 * this database.
 */
bool
rp_citus_table(Oid relid)
{
	bool		hit;
	RpCitusFacts *facts = rp_citus_facts(relid, &hit);

	if (!hit)
	{
		bool		present;

		(void) rp_citus_lookup("pg_dist_partition",
							   "pg_dist_partition_logical_relid_index",
							   "logicalrelid", OIDOID,
							   ObjectIdGetDatum(relid), "logicalrelid",
							   false, &present, &facts->citus);
	}
	return facts->citus;
}

/*
 * The number of rows of a Citus table, from the size of its shards (its
 * own table is empty): citus_relation_size() over the width of its rows
 * as the planner would guess it.  -1 when relid is not a Citus table.
 */
double
rp_citus_table_rows(Oid relid)
{
	bool		hit;
	RpCitusFacts *facts;
	Oid			argtype = REGCLASSOID;
	Oid			fn;
	int64		bytes;
	Relation	rel;
	int32		width;

	if (!rp_citus_table(relid))
		return -1;
	facts = rp_citus_facts(relid, &hit);
	if (facts->rows >= 0)
		return facts->rows;

	fn = LookupFuncName(list_make2(makeString("pg_catalog"),
								   makeString("citus_relation_size")),
						1, &argtype, true);
	if (!OidIsValid(fn))
		return -1;
	bytes = DatumGetInt64(OidFunctionCall1(fn, ObjectIdGetDatum(relid)));

	rel = relation_open(relid, AccessShareLock);
	width = MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData) +
		get_rel_data_width(rel, NULL);
	relation_close(rel, NoLock);

	facts->rows = (double) bytes * ((double) (BLCKSZ - SizeOfPageHeaderData) /
									BLCKSZ) / width;
	return facts->rows;
}

/*
 * The distributed table whose shard relid is ("blog_comment_102178" is a
 * shard of "blog_comment" in the same schema, when pg_dist_shard says
 * shard 102178 is one of its), or InvalidOid.  With nowait, gives up
 * when Citus's catalog is locked.
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
		get_rel_namespace(owner) != get_rel_namespace(relid) ||
		strlen(ownername) != (size_t) (p - name) ||
		strncmp(ownername, name, p - name) != 0)
		return InvalidOid;
	return owner;
}
