/*-------------------------------------------------------------------------
 *
 * rp_fetch_exec.c
 *	  Running a planned fetch.
 *
 * The parent rows are read at the first call: the first
 * relprefetch.fetch_batch_size of them straight into the first batch, the
 * others into a tuplestore (in memory up to work_mem, then on disk), taken
 * from it relprefetch.fetch_batch_size rows at a time.  For each batch, every node
 * below the root runs one query (a many-to-many node two: the junction,
 * then the targets), so a fetch runs a fixed number of queries per batch
 * however many rows it returns, and holds one batch in memory at a time.
 *
 * The store is there rather than a cursor read batch by batch because the
 * caller may read the function through a cursor of its own, and fetch from
 * it inside a savepoint that is rolled back (DECLARE; SAVEPOINT; FETCH;
 * ROLLBACK TO; FETCH) or across COMMIT (WITH HOLD): an SPI cursor belongs
 * to the subtransaction that opens it and would be dropped halfway.  The
 * store's memory is the function's own, and its temporary file belongs to
 * the resource owner current at the first call, the one of the portal
 * running the function, so both last as long as the caller reads (and the
 * file is closed if the transaction aborts).
 *
 * A node's rows are grouped by key in a hash table that is filled before
 * its query runs, from the keys of the rows above it: the query's rows are
 * matched against it as they arrive (a custom DestReceiver, no tuple
 * copies) and those whose key no row above asked for are dropped.  That
 * lets the query take one of two forms, chosen per batch by how many keys
 * the batch has next to the size of the table they are keys of:
 *	- keyed, "key = ANY($1)", for few keys: the indexes find the rows;
 *	- all rows, for many keys (half of the table's or more): one scan,
 *	  with the matching done here by hashing.
 * A scan of all rows for a batch costs at most twice the rows its keys
 * select, so the work stays linear in the rows read whatever the batch
 * size.
 *
 * Each row's own fields are rendered once, when it arrives, and kept as
 * text (fetch_json) or as the row's datum (fetch_children) with pointers
 * to the groups of its own includes.  The output of a parent row is put
 * together when it is returned, by following those pointers: an author
 * shared by ten posts is rendered once and copied ten times.
 *
 * Order: a node's query sorts its rows by the include's order_by (by its
 * key first, then order_by, when its rows go to groups by that key:
 * rp_sql_grouped_order), and rows are kept in arrival order within each
 * group, so each parent's rows come out in that order.  Many-to-many targets are numbered in arrival order
 * and each parent's links are sorted by that number.  Per-parent limits
 * are applied as rows arrive (reverse FK) or when output (many-to-many).
 *
 * Memory: a batch lives in one memory context, reset before the next
 * batch; rows go into an arena (rp_fetch_arena.c), whose blocks are kept
 * for the next batch in a per-backend pool.  The key maps are kept from
 * batch to batch of a call, emptied (rp_batch_map).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tupdesc.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "rp_citus.h"
#include "rp_fetch.h"

/*
 * First sizes of a batch's key maps, of the many-to-many targets' map, and
 * of a node's list of received rows; all grow as needed.
 */
#define RP_MAP_INITIAL_SIZE			16
#define RP_TARGETS_INITIAL_SIZE		256
#define RP_RECEIVED_ROWS_INITIAL	1024


/*
 * Use the keyed query when the batch has fewer keys than half the rows of
 * the table they are keys of.  (A tenth was measured too: at 100,000 posts
 * in batches of 10,000, it scanned every comment ten times and took half
 * as long again as probing the index for each batch's keys.)
 */
#define RP_KEYED_FRACTION	2

typedef struct RpMapEntry
{
	RpKey		key;
	RpGroup    *group;
	uint32		hash;
	char		status;
} RpMapEntry;

/* What a key map knows besides its entries: its key type, where it lives */
typedef struct RpMapInfo
{
	const RpKeyType *type;
	RpArena    *arena;			/* the fetch's maps' arena */
} RpMapInfo;

static inline uint32 rp_key_hash(const RpKeyType *type, RpKey key);
static inline bool rp_key_equal(const RpKeyType *type, RpKey a, RpKey b);

#define RP_MAP_TYPE(tb) (((const RpMapInfo *) (tb)->private_data)->type)

#define SH_PREFIX rpmap
#define SH_ELEMENT_TYPE RpMapEntry
#define SH_KEY_TYPE RpKey
#define SH_KEY key
#define SH_HASH_KEY(tb, key) rp_key_hash(RP_MAP_TYPE(tb), key)
#define SH_EQUAL(tb, a, b) rp_key_equal(RP_MAP_TYPE(tb), a, b)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) a->hash
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DEFINE
#define SH_DECLARE
#include "lib/simplehash.h"

/*
 * A map's entries: big ones in the large blocks of the fetch's maps' arena
 * (rp_arena_alloc_map), which go back to the pool when the call ends; the
 * others in the maps' memory context, as simplehash would.
 */
static inline void *
rpmap_allocate(rpmap_hash *tb, Size size)
{
	void	   *result;

	result = rp_arena_alloc_map(((RpMapInfo *) tb->private_data)->arena, size);
	if (result == NULL)
		result = MemoryContextAllocExtended(tb->ctx, size,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	return result;
}

static inline void
rpmap_free(rpmap_hash *tb, void *pointer)
{
	if (!rp_arena_owns(((RpMapInfo *) tb->private_data)->arena, pointer))
		pfree(pointer);
}

/*
 * A key map kept from batch to batch: the groups of include inc of node,
 * or (targets) the many-to-many targets' groups of that include
 */
typedef struct RpMapSlot
{
	RpNode	   *node;
	int			inc;
	bool		targets;
	rpmap_hash *map;
} RpMapSlot;

struct RpFetch
{
	RpFetchPlan *plan;
	MemoryContext cxt;			/* the function's: the store lives here */
	Tuplestorestate *parents;	/* the parent rows */
	TupleTableSlot *slot;		/* reads them */
	int64		unread;			/* parent rows not yet taken from it */
	bool		opened;			/* the parent rows are read */
	bool		done;			/* and all taken, the store closed */
	bool		released;		/* the plan is unpinned */
	ExprContext *econtext;
	MemoryContext batchcxt;		/* reset for each batch */
	MemoryContext mapcxt;		/* the key maps, emptied for each batch */
	RpArena		maparena;		/* and the big ones' entries */
	RpMapSlot  *maps;
	int			nmaps;
	int			maxmaps;
	RpArena		arena;
	StringInfoData scratch;		/* one row's own fields, being rendered */
	int32	   *ends;			/* and where each column's value ends */
	int			outsize;		/* the size of the last object written */
	int			maxends;
	RpRow	  **rows;			/* the batch's parent rows */
	int			nrows;
	int			maxrows;		/* room in rows, while the first is read */
	int			next;			/* the next to return */
};

/* Where the root's query sends the parent rows: into fetch->parents */
typedef struct RpStoreReceiver
{
	DestReceiver pub;
	RpFetch    *fetch;
} RpStoreReceiver;

/* Where a node's query sends its rows */
typedef struct RpReceiver
{
	DestReceiver pub;
	RpFetch    *fetch;
	RpNode	   *node;
	bool		links;			/* reading the junction of a many-to-many */
	rpmap_hash *map;			/* the groups rows are matched to */
	rpmap_hash *targets;		/* links: the targets' groups */
	RpRow	  **rows;			/* rows kept, for the next level */
	int			nrows;
	int			maxrows;
	int64		rank;
} RpReceiver;

int			rp_fetch_depth = 0;

/* Settings, and their bounds */
#define RP_FETCH_BATCH_DEFAULT	10000
#define RP_FETCH_BATCH_MAX		1000000

static int	rp_fetch_batch_size = RP_FETCH_BATCH_DEFAULT;

/* Define the fetch functions' settings and set up their plan cache */
void
rp_fetch_init(void)
{
	DefineCustomIntVariable("relprefetch.fetch_batch_size",
							"Parent rows that fetch_json and fetch_children read and hold at a time.",
							NULL,
							&rp_fetch_batch_size,
							RP_FETCH_BATCH_DEFAULT,
							1, RP_FETCH_BATCH_MAX,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	rp_arena_init_module();

	rp_fetch_cache_init();
}

/* ------------------------------------------------------------------------
 * Rows and groups
 * ------------------------------------------------------------------------
 */

/* A copy of a key value that lives as long as the batch */
static inline Datum
rp_copy_value(RpFetch *fetch, Datum value, bool byval, int16 typlen)
{
	Size		size;
	void	   *copy;

	if (byval)
		return value;
	size = datumGetSize(value, false, typlen);
	copy = rp_arena_alloc(&fetch->arena, size);
	memcpy(copy, DatumGetPointer(value), size);
	return PointerGetDatum(copy);
}

/*
 * Make a row of node from a row of its query: the payload, and its
 * includes' keys (see rp_fetch.h for where they are).
 */
static RpRow *
rp_row_make(RpFetch *fetch, RpNode *node, Datum *values, bool *nulls)
{
	RpRow	   *row;
	int			payload = rp_query_payload_offset(node);
	int			rowkeys = rp_query_rowkeys_offset(node);
	int			i;

	row = rp_arena_alloc(&fetch->arena, sizeof(RpRow) +
						 sizeof(RpGroup *) * node->nincludes +
						 sizeof(Datum) * node->nrowkeys +
						 sizeof(bool) * node->nrowkeys);
	row->next = NULL;
	row->groups = (RpGroup **) (row + 1);
	row->keys = (Datum *) (row->groups + node->nincludes);
	row->keynulls = (bool *) (row->keys + node->nrowkeys);
	memset(row->groups, 0, sizeof(RpGroup *) * node->nincludes);

	if (node->typed)
	{
		MemoryContext old = MemoryContextSwitchTo(fetch->batchcxt);

		row->value = datumCopy(values[payload], false, -1);
		MemoryContextSwitchTo(old);
		row->text = NULL;
		row->len = 0;
	}
	else
	{
		StringInfo	buf = &fetch->scratch;
		char	   *text;
		Size		size;

		if (node->columnar && fetch->maxends < node->ncolumns)
		{
			fetch->ends = fetch->ends == NULL ?
				MemoryContextAlloc(fetch->cxt, sizeof(int32) * node->ncolumns) :
				repalloc(fetch->ends, sizeof(int32) * node->ncolumns);
			fetch->maxends = node->ncolumns;
		}
		resetStringInfo(buf);
		appendStringInfoCharMacro(buf, '{');
		for (i = 0; i < node->ncolumns; i++)
		{
			RpJsonColumn *column = &node->columns[i];

			rp_json_reserve(buf, column->labellen + 1);
			if (i > 0)
				buf->data[buf->len++] = ',';
			memcpy(buf->data + buf->len, column->label, column->labellen);
			buf->len += column->labellen;
			rp_json_append_value(buf, column, values[payload + i],
								 nulls[payload + i]);
			if (node->columnar)
				fetch->ends[i] = buf->len;
		}
		size = node->columnar ?
			MAXALIGN(buf->len) + sizeof(int32) * node->ncolumns : buf->len;
		text = rp_arena_alloc(&fetch->arena, size);
		memcpy(text, buf->data, buf->len);
		row->text = text;
		row->len = buf->len;
		if (node->columnar)
			memcpy((char *) rp_row_column_ends(row), fetch->ends,
				   sizeof(int32) * node->ncolumns);
	}

	for (i = 0; i < node->nrowkeys; i++)
	{
		row->keynulls[i] = nulls[rowkeys + i];
		row->keys[i] = row->keynulls[i] ? (Datum) 0 :
			rp_copy_value(fetch, values[rowkeys + i],
						  node->rowkey_typbyval[i], node->rowkey_typlen[i]);
	}
	return row;
}

static RpGroup *
rp_group_new(RpFetch *fetch)
{
	RpGroup    *group = rp_arena_alloc(&fetch->arena, sizeof(RpGroup));

	memset(group, 0, sizeof(RpGroup));
	return group;
}

/*
 * An empty key map for include inc of node (its targets' map when
 * targets), with room for size keys.  The maps of one call are kept from
 * batch to batch and emptied, rather than made in the batch's memory: a
 * batch of 10,000 parents needs maps of several hundred kB, which malloc
 * takes from the kernel and gives back at every batch, so that every batch
 * faulted them in again (most of a warm call's page faults once the sorts
 * were per parent).  They are freed with the call (rp_fetch_end).
 */
static rpmap_hash *
rp_batch_map(RpFetch *fetch, RpNode *node, int inc, bool targets,
			 RpKeyType *type, int size)
{
	RpMapSlot  *slot;
	RpMapInfo  *info;
	int			i;

	size = Max(size, RP_MAP_INITIAL_SIZE);
	for (i = 0; i < fetch->nmaps; i++)
	{
		slot = &fetch->maps[i];
		if (slot->node == node && slot->inc == inc &&
			slot->targets == targets)
		{
			rpmap_hash *map = slot->map;
			uint64		want = (uint64) (size / 0.9) + 1;

			rpmap_reset(map);
			if (size > map->grow_threshold && want > map->size)
				rpmap_grow(map, want);
			return map;
		}
	}
	if (fetch->nmaps >= fetch->maxmaps)
	{
		fetch->maxmaps = Max(fetch->maxmaps * 2, 8);
		fetch->maps = fetch->maps == NULL ?
			MemoryContextAlloc(fetch->mapcxt,
							   sizeof(RpMapSlot) * fetch->maxmaps) :
			repalloc(fetch->maps, sizeof(RpMapSlot) * fetch->maxmaps);
	}
	slot = &fetch->maps[fetch->nmaps++];
	slot->node = node;
	slot->inc = inc;
	slot->targets = targets;
	info = MemoryContextAlloc(fetch->mapcxt, sizeof(RpMapInfo));
	info->type = type;
	info->arena = &fetch->maparena;
	slot->map = rpmap_create(fetch->mapcxt, size, info);
	return slot->map;
}

/*
 * The groups of include inc of node, one per distinct key of rows; each
 * row points to its group (NULL when a key column is null).
 */
static rpmap_hash *
rp_group_rows(RpFetch *fetch, RpNode *node, int inc, RpKeyType *type,
			  RpRow **rows, int nrows, double keyed_rows)
{
	rpmap_hash *map;
	int			off = node->include_keyoff[inc];
	int			size = nrows;
	int			i;

	/*
	 * No more distinct keys than the rows of the table they are keys of (an
	 * author's, for ten posts each): a map of that size, which grows should
	 * the estimate be short.
	 */
	if (keyed_rows >= 0 && keyed_rows < nrows)
		size = (int) keyed_rows + 1;
	map = rp_batch_map(fetch, node, inc, false, type, size);
	for (i = 0; i < nrows; i++)
	{
		RpRow	   *row = rows[i];
		RpMapEntry *entry;
		bool		found;
		int			k;

		for (k = 0; k < type->nkeys; k++)
		{
			if (row->keynulls[off + k])
				break;
		}
		if (k < type->nkeys)
			continue;
		entry = rpmap_insert(map, rp_key(&row->keys[off]), &found);
		if (!found)
			entry->group = rp_group_new(fetch);
		row->groups[inc] = entry->group;
	}
	return map;
}

/* ------------------------------------------------------------------------
 * Running the queries
 * ------------------------------------------------------------------------
 */

/* A junction row: link the parent's group to the target's */
static void
rp_receive_link(RpReceiver *r, RpGroup *group, Datum *values, bool *nulls)
{
	RpKeyType  *type = &r->node->key;
	RpMapEntry *entry;
	RpLinkItem *link;
	int			i;

	for (i = 0; i < type->nkeys; i++)
	{
		if (nulls[i])
			return;
	}
	entry = rpmap_lookup(r->targets, rp_key(values));
	if (entry == NULL)
	{
		Datum	   *key = rp_arena_alloc(&r->fetch->arena, sizeof(Datum) * type->nkeys);
		bool		found;

		for (i = 0; i < type->nkeys; i++)
			key[i] = rp_copy_value(r->fetch, values[i], type->typbyval[i],
								   type->typlen[i]);
		entry = rpmap_insert(r->targets, rp_key(key), &found);
		entry->group = rp_group_new(r->fetch);
	}
	link = rp_arena_alloc(&r->fetch->arena, sizeof(RpLinkItem));
	link->target = entry->group;
	link->next = group->links;
	group->links = link;
	group->nlinks++;
}

static bool
rp_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RpReceiver *r = (RpReceiver *) self;
	RpNode	   *node = r->node;
	RpKeyType  *type = r->links ? &node->link_key : &node->key;
	Datum	   *values;
	bool	   *nulls;
	RpMapEntry *entry;
	RpGroup    *group;
	RpRow	   *row;
	int			i;

	slot_getallattrs(slot);
	values = slot->tts_values;
	nulls = slot->tts_isnull;
	for (i = 0; i < type->nkeys; i++)
	{
		if (nulls[i])
			return true;
	}
	entry = rpmap_lookup(r->map, rp_key(values));
	if (entry == NULL)
		return true;			/* no row of this batch asked for it */
	group = entry->group;

	if (r->links)
	{
		rp_receive_link(r, group, values + type->nkeys, nulls + type->nkeys);
		return true;
	}
	if (node->to_one)
	{
		if (group->head != NULL)
			return true;		/* one row per key */
	}
	else if (node->limit >= 0 && group->count >= node->limit)
		return true;

	row = rp_row_make(r->fetch, node, values, nulls);
	row->rank = (uint32) r->rank++;
	if (group->tail == NULL)
		group->head = row;
	else
		group->tail->next = row;
	group->tail = row;
	group->count++;

	if (node->nincludes > 0)
	{
		if (r->nrows >= r->maxrows)
		{
			r->maxrows = Max(r->maxrows * 2, RP_RECEIVED_ROWS_INITIAL);
			r->rows = r->rows == NULL ?
				MemoryContextAlloc(r->fetch->batchcxt,
								   sizeof(RpRow *) * r->maxrows) :
				repalloc_huge(r->rows, sizeof(RpRow *) * r->maxrows);
		}
		r->rows[r->nrows++] = row;
	}
	return true;
}

static void
rp_receive_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	RpReceiver *r = (RpReceiver *) self;

	rp_fetch_check_rows(r->links ? &r->node->links : &r->node->query,
						typeinfo);
}

static void
rp_receive_shutdown(DestReceiver *self)
{
}

static void
rp_receive_destroy(DestReceiver *self)
{
}

/*
 * How many rows the planner thinks relid has (a partitioned table: its
 * partitions); -1 if it cannot tell.
 */
static double
rp_estimated_rows(Oid relid)
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
				tuples += Max(rp_estimated_rows(part), 0);
		}
	}
	relation_close(rel, NoLock);
	return tuples;
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
 * rows to dest; rows is rp_estimated_rows of its sized_by.  Few keys next
 * to the table's rows: the keyed form, or the range form when the keys fill
 * most of their range (a descent of the index per key costs several times
 * a step along it: at 100,000 posts in batches of 10,000, the descents were
 * a quarter of a whole-graph call's instructions).
 */
static void
rp_run_query(RpQuery *query, rpmap_hash *map, const RpKeyType *type,
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

static void
rp_receiver_init(RpReceiver *r, RpFetch *fetch, RpNode *node)
{
	memset(r, 0, sizeof(RpReceiver));
	r->pub.receiveSlot = rp_receive;
	r->pub.rStartup = rp_receive_startup;
	r->pub.rShutdown = rp_receive_shutdown;
	r->pub.rDestroy = rp_receive_destroy;
	r->pub.mydest = DestNone;
	r->fetch = fetch;
	r->node = node;
}

/* Read, for the rows of node, the rows of each of its includes, and so on */
static void
rp_fetch_level(RpFetch *fetch, RpNode *node, RpRow **rows, int nrows)
{
	int			i;

	for (i = 0; i < node->nincludes; i++)
	{
		RpNode	   *child = node->includes[i];
		RpReceiver	r;
		rpmap_hash *map;
		double		keyed;

		CHECK_FOR_INTERRUPTS();
		rp_receiver_init(&r, fetch, child);
		if (child->junction)
		{
			keyed = rp_estimated_rows(child->links.sized_by);
			map = rp_group_rows(fetch, node, i, &child->link_key, rows, nrows,
								keyed);
			if (map->members == 0)
				continue;
			r.links = true;
			r.map = map;
			r.targets = rp_batch_map(fetch, node, i, true, &child->key,
									 RP_TARGETS_INITIAL_SIZE);
			rp_run_query(&child->links, map, &child->link_key,
						 (DestReceiver *) &r, keyed);
			if (r.targets->members == 0)
				continue;
			r.links = false;
			r.map = r.targets;
			rp_run_query(&child->query, r.targets, &child->key,
						 (DestReceiver *) &r,
						 rp_estimated_rows(child->query.sized_by));
		}
		else
		{
			keyed = rp_estimated_rows(child->query.sized_by);
			map = rp_group_rows(fetch, node, i, &child->key, rows, nrows,
								keyed);
			if (map->members == 0)
				continue;
			r.map = map;
			rp_run_query(&child->query, map, &child->key,
						 (DestReceiver *) &r, keyed);
		}
		if (r.nrows > 0)
			rp_fetch_level(fetch, child, r.rows, r.nrows);
	}
}

/* ------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------
 */

static void
rp_store_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	RpFetch    *fetch = ((RpStoreReceiver *) self)->fetch;
	MemoryContext old;

	rp_fetch_check_rows(&fetch->plan->root->query, typeinfo);
	old = MemoryContextSwitchTo(fetch->cxt);
	fetch->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(typeinfo),
										   &TTSOpsMinimalTuple);
	MemoryContextSwitchTo(old);
}

/*
 * A parent row: one of the first batch's is made at once (rendered into
 * the batch's arena), the rest go to the store for the batches after it.
 * A call whose parent rows fit in one batch so never copies them into the
 * store and back, nor takes the store's memory (at 10,000 posts, several
 * MB that a new backend faults in from the kernel).
 */
static bool
rp_store_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RpFetch    *fetch = ((RpStoreReceiver *) self)->fetch;

	if (fetch->nrows >= rp_fetch_batch_size)
	{
		tuplestore_puttupleslot(fetch->parents, slot);
		return true;
	}
	if (fetch->nrows >= fetch->maxrows)
	{
		fetch->maxrows = (int) Min((int64) Max(fetch->maxrows * 2,
											   RP_RECEIVED_ROWS_INITIAL),
								   (int64) rp_fetch_batch_size);
		fetch->rows = fetch->rows == NULL ?
			MemoryContextAlloc(fetch->batchcxt,
							   sizeof(RpRow *) * fetch->maxrows) :
			repalloc_huge(fetch->rows, sizeof(RpRow *) * fetch->maxrows);
	}
	slot_getallattrs(slot);
	fetch->rows[fetch->nrows++] = rp_row_make(fetch, fetch->plan->root,
											  slot->tts_values,
											  slot->tts_isnull);
	return true;
}

static void
rp_store_shutdown(DestReceiver *self)
{
}

/*
 * Run the root's query: the first batch's rows into fetch->rows, the rest
 * into fetch->parents
 */
static void
rp_fetch_read_parents(RpFetch *fetch)
{
	RpStoreReceiver r;
	MemoryContext old;

	old = MemoryContextSwitchTo(fetch->cxt);
	fetch->parents = tuplestore_begin_heap(false, false, work_mem);
	MemoryContextSwitchTo(old);
	fetch->opened = true;

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = rp_store_receive;
	r.pub.rStartup = rp_store_startup;
	r.pub.rShutdown = rp_store_shutdown;
	r.pub.rDestroy = rp_store_shutdown;
	r.pub.mydest = DestNone;
	r.fetch = fetch;
	rp_run_query(&fetch->plan->root->query, NULL, NULL, (DestReceiver *) &r,
				 -1);
	fetch->unread = tuplestore_tuple_count(fetch->parents);
}

static void
rp_fetch_close_store(RpFetch *fetch)
{
	if (!fetch->opened || fetch->done)
		return;
	fetch->done = true;
	if (fetch->parents != NULL)
		tuplestore_end(fetch->parents);
	fetch->parents = NULL;
	if (fetch->slot != NULL)
		ExecDropSingleTupleTableSlot(fetch->slot);
	fetch->slot = NULL;
}

/* Take the next batch of parent rows, and read everything below them */
static void
rp_fetch_batch_rows(RpFetch *fetch)
{
	RpNode	   *root = fetch->plan->root;
	int			n;

	if (!fetch->opened)
	{
		/* the first batch's rows are made as the root's query sends them */
		fetch->rows = NULL;
		fetch->maxrows = 0;
		rp_fetch_read_parents(fetch);
	}
	else
	{
		n = (int) Min(fetch->unread, (int64) rp_fetch_batch_size);
		fetch->rows = MemoryContextAlloc(fetch->batchcxt,
										 sizeof(RpRow *) * Max(n, 1));
		for (fetch->nrows = 0; fetch->nrows < n; fetch->nrows++)
		{
			TupleTableSlot *slot = fetch->slot;

			if (!tuplestore_gettupleslot(fetch->parents, true, false, slot))
				elog(ERROR, "fewer parent rows stored than counted");
			slot_getallattrs(slot);
			fetch->rows[fetch->nrows] = rp_row_make(fetch, root,
													slot->tts_values,
													slot->tts_isnull);
		}
		fetch->unread -= n;

		/*
		 * The rows are copies.  A row read back from the store's file is the
		 * slot's, allocated in the current (SPI's) context, which SPI_finish
		 * deletes: the next batch's first read would free it again.  Let it
		 * go now.
		 */
		ExecClearTuple(fetch->slot);
	}

	rp_fetch_level(fetch, root, fetch->rows, fetch->nrows);
	if (fetch->unread == 0)
		rp_fetch_close_store(fetch);
}

/* Make the next batch current; false when there are no more rows */
static bool
rp_fetch_batch(RpFetch *fetch)
{
	MemoryContextReset(fetch->batchcxt);
	fetch->nrows = 0;
	fetch->next = 0;
	if (fetch->done)
		return false;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rp_fetch_depth++;
	PG_TRY();
	{
		rp_fetch_batch_rows(fetch);
	}
	PG_FINALLY();
	{
		rp_fetch_depth--;
	}
	PG_END_TRY();
	SPI_finish();
	return fetch->nrows > 0;
}

/* The query stopped reading before the end: close what is open */
static void
rp_fetch_shutdown(Datum arg)
{
	RpFetch    *fetch = (RpFetch *) DatumGetPointer(arg);

	rp_fetch_close_store(fetch);
	if (!fetch->released)
	{
		fetch->released = true;
		rp_fetch_plan_release(fetch->plan);
	}
}

RpFetch *
rp_fetch_begin(RpFetchPlan *plan, ExprContext *econtext)
{
	RpFetch    *fetch = palloc0(sizeof(RpFetch));

	fetch->plan = plan;
	fetch->cxt = CurrentMemoryContext;
	fetch->econtext = econtext;
	fetch->batchcxt = AllocSetContextCreate(CurrentMemoryContext,
											"relprefetch fetch batch",
											ALLOCSET_DEFAULT_SIZES);
	fetch->mapcxt = AllocSetContextCreate(CurrentMemoryContext,
										  "relprefetch fetch key maps",
										  ALLOCSET_DEFAULT_SIZES);
	rp_arena_init(&fetch->arena, fetch->batchcxt);
	rp_arena_init(&fetch->maparena, fetch->mapcxt);
	initStringInfo(&fetch->scratch);
	if (econtext != NULL)
		RegisterExprContextCallback(econtext, rp_fetch_shutdown,
									PointerGetDatum(fetch));
	return fetch;
}

void
rp_fetch_end(RpFetch *fetch)
{
	if (fetch->econtext != NULL)
		UnregisterExprContextCallback(fetch->econtext, rp_fetch_shutdown,
									  PointerGetDatum(fetch));
	rp_fetch_shutdown(PointerGetDatum(fetch));
	MemoryContextDelete(fetch->batchcxt);
	MemoryContextDelete(fetch->mapcxt);
}

/* The next parent row of the batch, reading a batch if needed */
static RpRow *
rp_fetch_next_row(RpFetch *fetch)
{
	if (fetch->next >= fetch->nrows && !rp_fetch_batch(fetch))
		return NULL;
	return fetch->rows[fetch->next++];
}

/* ------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------
 */

bool
rp_fetch_next_json(RpFetch *fetch, Datum *result)
{
	RpRow	   *row = rp_fetch_next_row(fetch);
	StringInfoData out;

	if (row == NULL)
		return false;

	/*
	 * Room for the varlena header first, so the result needs no copy; the
	 * buffer starts a little bigger than the last row needed, so that rows of
	 * the same shape are written without growing it.
	 */
	out.maxlen = Max(fetch->outsize + fetch->outsize / 4, 1024);
	out.data = palloc(out.maxlen);
	out.len = VARHDRSZ;
	out.data[out.len] = '\0';
	out.cursor = 0;
	rp_emit(&out, fetch->plan->root, row);
	SET_VARSIZE(out.data, out.len);
	fetch->outsize = Min(out.len, MaxAllocSize / 2);
	*result = PointerGetDatum(out.data);
	return true;
}

bool
rp_fetch_next_children(RpFetch *fetch, Datum *parent, Datum *children)
{
	RpFetchPlan *plan = fetch->plan;
	RpNode	   *child = plan->root->includes[0];
	RpRow	   *row = rp_fetch_next_row(fetch);
	RpGroup    *group;
	RpRow	  **rows = NULL;
	Datum	   *values;
	int			n = 0;
	int			i;

	if (row == NULL)
		return false;
	group = row->groups[0];
	if (child->junction)
		n = rp_linked_rows(child, group, &rows);
	else if (group != NULL)
	{
		RpRow	   *r;

		rows = palloc(sizeof(RpRow *) * Max(group->count, 1));
		for (r = group->head; r != NULL; r = r->next)
			rows[n++] = r;
	}
	values = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
		values[i] = rows[i]->value;
	*parent = row->value;
	*children = PointerGetDatum(construct_array(values, n,
												plan->child_elemtype,
												plan->child_typlen,
												plan->child_typbyval,
												plan->child_typalign));
	return true;
}
