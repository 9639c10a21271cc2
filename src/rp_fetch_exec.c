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
 * lets the query take one of its forms, chosen per batch by how many keys
 * the batch has next to the size of the table they are keys of
 * (rp_fetch_query.c):
 *	- keyed, "key = ANY($1)", for few keys: the indexes find the rows;
 *	- a range, "key >= $1 AND key <= $2", for few keys of one integer
 *	  column that fill most of the range between the least and the
 *	  greatest: one scan along the index;
 *	- all rows, for many keys (half of the table's or more): one scan,
 *	  with the matching done here by hashing.
 * A scan of all rows or of a range for a batch costs at most about twice
 * the rows its keys select, so the work stays linear in the rows read
 * whatever the batch size.  A to-one include whose table is small next to
 * the keys the whole call will look up is read once instead, the first
 * time a batch reaches it, by its query's form for all rows, with its own
 * includes, into a key map and an arena kept for the call (rp_kept_map;
 * relprefetch.fetch_keep_size bounds its memory): later batches point
 * their rows at those rows, with no query.
 *
 * Each row's own fields are rendered once, when it arrives, and kept as
 * text (fetch_json) or as the row's datum (fetch_children) with pointers
 * to the groups of its own includes.  The output of a parent row is put
 * together when it is returned, by following those pointers: an author
 * shared by ten posts is rendered once and copied ten times.
 *
 * Order: each group's rows are put in the include's order once they are
 * in (rp_sort_groups), or, for an order the batch cannot apply itself or
 * one a Citus table's shards apply better, the node's query sorts them (by
 * its key first: rp_sql_grouped_order) and rows are kept in arrival order
 * within each group.  Many-to-many targets
 * are numbered in arrival order and each parent's links are sorted by that
 * number.  Per-parent limits are applied as rows arrive (reverse FK) or
 * when output (many-to-many).
 *
 * Memory: a batch lives in one memory context, reset before the next
 * batch; rows go into an arena (rp_fetch_arena.c), whose blocks are kept
 * for the next batch in a per-backend pool.  The key maps are kept from
 * batch to batch of a call, emptied (rp_batch_map).  The rows of kept
 * includes live in a context of their own, deleted with the call.
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

#include "rp_fetch.h"
#include "rp_fetch_map.h"

/*
 * First sizes of a batch's key maps, of the many-to-many targets' map, and
 * of a node's list of received rows; all grow as needed.
 */
#define RP_MAP_INITIAL_SIZE			16
#define RP_TARGETS_INITIAL_SIZE		256
#define RP_RECEIVED_ROWS_INITIAL	1024


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

/*
 * An include whose rows are read once for the whole call (a small to-one
 * target): include inc of node, and its rows by key (NULL when it was
 * decided not to keep them)
 */
typedef struct RpKeptSlot
{
	RpNode	   *node;
	int			inc;
	rpmap_hash *map;
} RpKeptSlot;

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
	RpArena    *rowarena;		/* where rows go: arena, or keptarena while a
								 * kept include's rows are read */
	MemoryContext keptcxt;		/* kept includes' rows, for the whole call */
	RpArena		keptarena;
	RpKeptSlot *kept;
	int			nkept;
	int			maxkept;
	bool		keeping;		/* reading a kept include's rows */
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
	bool		keep;			/* every row, into map by its own key */
	Size		keep_limit;		/* keep: the bytes its rows may take */
	bool		overflow;		/* keep: they took more, and it stopped */
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
	DefineCustomIntVariable("relprefetch.fetch_keep_size",
							"Memory a fetch may take to read a small to-one include's rows once for the whole call.",
							"A to-one include whose table is small next to the keys the call looks up is read once, not once per batch, when its rows fit in this; 0 turns that off.",
							&rp_fetch_keep_size,
							RP_FETCH_KEEP_DEFAULT,
							0, RP_FETCH_KEEP_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
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
	copy = rp_arena_alloc(fetch->rowarena, size);
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

	row = rp_arena_alloc(fetch->rowarena, sizeof(RpRow) +
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
		text = rp_arena_alloc(fetch->rowarena, size);
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
	RpGroup    *group = rp_arena_alloc(fetch->rowarena, sizeof(RpGroup));

	memset(group, 0, sizeof(RpGroup));
	return group;
}

/*
 * A call's array of slots (of key maps, of kept includes), with room for
 * one more after its n: grown by doubling in the maps' memory, which lasts
 * as long as the call.  Returns the array, perhaps moved.
 */
static void *
rp_fetch_slots_room(RpFetch *fetch, void *slots, int n, int *max, Size size)
{
	if (n < *max)
		return slots;
	*max = Max(*max * 2, 4);
	return slots == NULL ? MemoryContextAlloc(fetch->mapcxt, size * *max) :
		repalloc(slots, size * *max);
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
	fetch->maps = rp_fetch_slots_room(fetch, fetch->maps, fetch->nmaps,
									  &fetch->maxmaps, sizeof(RpMapSlot));
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
/*
 * A key not seen yet in map (a many-to-many's targets, a kept include's
 * rows): a copy of it into the map, with a group of its own
 */
static RpMapEntry *
rp_map_insert_copy(RpFetch *fetch, rpmap_hash *map, const RpKeyType *type,
				   Datum *values)
{
	Datum	   *key = rp_arena_alloc(fetch->rowarena,
									 sizeof(Datum) * type->nkeys);
	RpMapEntry *entry;
	bool		found;
	int			i;

	for (i = 0; i < type->nkeys; i++)
		key[i] = rp_copy_value(fetch, values[i], type->typbyval[i],
							   type->typlen[i]);
	entry = rpmap_insert(map, rp_key(key), &found);
	entry->group = rp_group_new(fetch);
	return entry;
}

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
		entry = rp_map_insert_copy(r->fetch, r->targets, type, values);
	link = rp_arena_alloc(r->fetch->rowarena, sizeof(RpLinkItem));
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
	if (entry == NULL && r->keep)
	{
		/* more rows than the estimate said (statistics gone stale): stop */
		if (rp_arena_used(r->fetch->rowarena) > r->keep_limit)
		{
			r->overflow = true;
			return false;
		}
		entry = rp_map_insert_copy(r->fetch, r->map, type, values);
	}
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

/* ------------------------------------------------------------------------
 * Includes kept for the whole call
 * ------------------------------------------------------------------------
 */

static void rp_fetch_level(RpFetch *fetch, RpNode *node, RpRow **rows,
						   int nrows);

/*
 * Run a kept include's query into map, and read its rows' includes; false
 * when its rows passed relprefetch.fetch_keep_size and it stopped.  A
 * function of its own: the rows go to the kept arena until it returns,
 * also by an error, and nothing else of rp_kept_read is in its error frame.
 */
static pg_noinline bool
rp_kept_fill(RpFetch *fetch, RpNode *child, rpmap_hash *map)
{
	RpReceiver	r;

	rp_receiver_init(&r, fetch, child);
	r.keep = true;
	r.map = map;
	r.keep_limit = rp_arena_used(&fetch->keptarena) +
		(Size) rp_fetch_keep_size * 1024;
	fetch->rowarena = &fetch->keptarena;
	fetch->keeping = true;
	PG_TRY();
	{
		rp_fetch_run_query(&child->query, NULL, &child->key,
						   (DestReceiver *) &r, -1);
		if (!r.overflow && r.nrows > 0)
			rp_fetch_level(fetch, child, r.rows, r.nrows);
	}
	PG_FINALLY();
	{
		fetch->rowarena = &fetch->arena;
		fetch->keeping = false;
	}
	PG_END_TRY();
	return !r.overflow;
}

/*
 * Read every row of include child that passes its filters, with the rows
 * of its own includes, into a key map and an arena that last as long as
 * the call.  The query is the include's own, in the form for all rows, run
 * as any batch's is (as the caller, so privileges and row-level security
 * hold as they do for the keyed form); rows holds about how many it
 * returns.
 */
static rpmap_hash *
rp_kept_read(RpFetch *fetch, RpNode *child, double rows)
{
	RpMapInfo  *info;
	rpmap_hash *map;

	if (fetch->keptcxt == NULL)
	{
		fetch->keptcxt = AllocSetContextCreate(fetch->cxt,
											   "relprefetch fetch kept rows",
											   ALLOCSET_DEFAULT_SIZES);
		rp_arena_init(&fetch->keptarena, fetch->keptcxt);
	}
	info = MemoryContextAlloc(fetch->keptcxt, sizeof(RpMapInfo));
	info->type = &child->key;
	info->arena = &fetch->keptarena;
	map = rpmap_create(fetch->keptcxt,
					   (uint32) Min(rows + 1, (double) RP_FETCH_BATCH_MAX),
					   info);

	/*
	 * Rows past relprefetch.fetch_keep_size: the include is read batch by
	 * batch after all, and what was read stays until the call ends (at most
	 * the setting's worth).
	 */
	return rp_kept_fill(fetch, child, map) ? map : NULL;
}

/* Whether include inc of node is decided on: its slot, or NULL */
static RpKeptSlot *
rp_kept_find(RpFetch *fetch, RpNode *node, int inc)
{
	int			i;

	for (i = 0; i < fetch->nkept; i++)
	{
		if (fetch->kept[i].node == node && fetch->kept[i].inc == inc)
			return &fetch->kept[i];
	}
	return NULL;
}

/*
 * The rows of include inc of node, kept for the whole call, or NULL when
 * they are read batch by batch.  Decided once per call, the first time a
 * batch has keys for it (nkeys distinct ones): kept when it is a to-one
 * include whose table is small next to the keys the call is expected to
 * look up (this batch's, times the parent rows left over this batch's)
 * and its rows fit in relprefetch.fetch_keep_size (rp_fetch_keep_rows).
 * Never while a kept include is read (its includes are read once with
 * it), and never for a call of one batch.
 */
static rpmap_hash *
rp_kept_map(RpFetch *fetch, RpNode *node, int inc, int nkeys)
{
	RpNode	   *child = node->includes[inc];
	RpKeptSlot *slot;
	double		lookups;
	double		rows;

	if (fetch->keeping || !child->to_one || child->junction)
		return NULL;
	if ((slot = rp_kept_find(fetch, node, inc)) != NULL)
		return slot->map;
	if (fetch->unread == 0)
		return NULL;
	fetch->kept = rp_fetch_slots_room(fetch, fetch->kept, fetch->nkept,
									  &fetch->maxkept, sizeof(RpKeptSlot));
	slot = &fetch->kept[fetch->nkept++];
	slot->node = node;
	slot->inc = inc;
	slot->map = NULL;
	lookups = (double) nkeys *
		(1.0 + (double) fetch->unread / (double) Max(fetch->nrows, 1));
	rows = rp_fetch_keep_rows(child, lookups);
	if (rows >= 0)
		slot->map = rp_kept_read(fetch, child, rows);
	return slot->map;
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
		rpmap_hash *kept;
		double		keyed;

		CHECK_FOR_INTERRUPTS();
		rp_receiver_init(&r, fetch, child);
		if (child->junction)
		{
			keyed = rp_fetch_estimated_rows(child->links.sized_by);
			map = rp_group_rows(fetch, node, i, &child->link_key, rows, nrows,
								keyed);
			if (map->members == 0)
				continue;
			r.links = true;
			r.map = map;
			r.targets = rp_batch_map(fetch, node, i, true, &child->key,
									 RP_TARGETS_INITIAL_SIZE);
			rp_fetch_run_query(&child->links, map, &child->link_key,
							   (DestReceiver *) &r, keyed);
			if (r.targets->members == 0)
				continue;
			r.links = false;
			r.map = r.targets;
			rp_fetch_run_query(&child->query, r.targets, &child->key,
							   (DestReceiver *) &r,
							   rp_fetch_estimated_rows(child->query.sized_by));
		}
		else
		{
			RpKeptSlot *slot = child->to_one ?
			rp_kept_find(fetch, node, i) : NULL;

			/* a later batch of a kept include: no map, no query */
			if (slot != NULL && slot->map != NULL)
			{
				rp_fetch_kept_attach(node, i, slot->map, rows, nrows);
				continue;
			}
			keyed = rp_fetch_estimated_rows(child->query.sized_by);
			map = rp_group_rows(fetch, node, i, &child->key, rows, nrows,
								keyed);
			if (map->members == 0)
				continue;
			if (child->to_one && slot == NULL &&
				(kept = rp_kept_map(fetch, node, i, map->members)) != NULL)
			{
				rp_fetch_kept_match(map, kept);
				continue;
			}
			r.map = map;
			rp_fetch_run_query(&child->query, map, &child->key,
							   (DestReceiver *) &r, keyed);
			if (child->nsortkeys > 0)
				rp_sort_groups(child, map);
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
	rp_fetch_run_query(&fetch->plan->root->query, NULL, NULL, (DestReceiver *) &r,
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
	fetch->rowarena = &fetch->arena;
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
	if (fetch->keptcxt != NULL)
		MemoryContextDelete(fetch->keptcxt);
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
