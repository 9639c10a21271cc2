/*-------------------------------------------------------------------------
 *
 * rp_fetch.h
 *	  The fetch functions (fetch_json, fetch_children): their types, and
 *	  the entry points of each of their jobs.
 *
 * A fetch goes through these files, one job each:
 *	rp_fetch_spec.c		reads a fetch_json spec, or fetch_children's
 *						arguments, into a tree of RpSpec (checking every
 *						fragment with rp_fragment.c);
 *	rp_fetch_plan.c		resolves each include to a relationship
 *						(rp_relationship.c) and plans a tree of RpNode;
 *	rp_fetch_keys.c		decides how each node's key is hashed and compared;
 *	rp_fetch_sql.c		writes each node's queries (the only place that
 *						writes SQL for a fetch), and owns the order of the
 *						columns they return;
 *	rp_fetch_cache.c	keeps planned fetches per backend;
 *	rp_fetch_exec.c		runs a plan, batch by batch;
 *	rp_fetch_sort.c		puts each parent's rows of an include in order
 *						after they are read, where the query need not sort;
 *	rp_fetch_output.c	writes each parent row's JSON from a batch's rows;
 *	rp_fetch_arena.c	keeps a batch's rows, and a pool of their memory.
 *
 * A fetch plan is a tree of nodes.  The root reads the parent rows; every
 * other node reads the rows of one relationship of its parent node.  Each
 * node runs one query per batch of parent rows, whatever the number of
 * rows, in one of its forms chosen per batch (see rp_fetch_query.c): all
 * the rows that pass the node's filters, only those whose key is among
 * the batch's keys, or (a key of one integer column) those whose key is
 * between the batch's least and greatest.  A many-to-many node also reads
 * its junction table.  A to-one node whose table is small next to the
 * keys the call looks up runs its query for all rows once per call
 * instead, and every batch reuses its rows (rp_fetch_exec.c).
 *
 * Everything is backend-local: no shared memory, no locks of our own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FETCH_H
#define RP_FETCH_H

#include "postgres.h"

#include "executor/spi.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/sortsupport.h"

#include "rp_json.h"
#include "rp_relationship.h"

/* Bounds on what a spec may ask for; documented in README.md */
#define RP_FETCH_MAX_DEPTH		8	/* levels of include below the parent */
#define RP_FETCH_MAX_INCLUDES	32	/* includes of one object */

/* Set while a fetch runs its queries: the executor hooks leave them alone */
extern int	rp_fetch_depth;

/* ------------------------------------------------------------------------
 * What was asked (rp_fetch_spec.c)
 * ------------------------------------------------------------------------
 */

/*
 * One item of "order": a column of the rows, or of a to-one related row
 * (path: the relationship names leading to it, from the rows' table, or
 * the keys of includes that name them; vias: what chooses each)
 */
typedef struct RpOrderItem
{
	List	   *path;			/* char *; NIL for the rows' own column */
	List	   *vias;			/* char *, or NULL: the "via" of each */
	char	   *column;
	bool		desc;
	int			nulls;			/* 0 default, 1 NULLS FIRST, 2 NULLS LAST */
	char	   *text;			/* as written, for messages */
} RpOrderItem;

/* One object of a fetch_json spec, or of fetch_children's arguments */
typedef struct RpSpec
{
	char	   *key;			/* output key (includes only) */
	char	   *path;			/* one relationship name (includes only) */
	char	   *via;
	List	   *columns;		/* char *; NIL with all_columns */
	List	   *aliases;		/* char *: each column's output key */
	bool		all_columns;
	char	   *where;
	char	   *order_by;
	List	   *order;			/* RpOrderItem *: "order" */
	bool		inner;			/* parent rows need one of these rows */
	bool		spread;			/* fields go into the parent's object */
	int64		limit;			/* -1 for none */
	int64		offset;			/* root only; 0 for none */
	List	   *includes;		/* RpSpec * */
	bool		explicit;		/* given its own object (vs. a path prefix) */
	char	   *context;		/* where it is in the spec, for messages */
	bool		typed;			/* fetch_children: whole rows, not JSON */
	Oid			only_target;	/* fetch_children: the child table */
} RpSpec;

/* What fetch_children was called with */
typedef struct RpChildrenArgs
{
	Oid			parent_type;
	Oid			child_type;
	const char *via;
	const char *parent_where;
	const char *child_where;
	const char *child_order_by;
	int64		child_limit;	/* -1 for none */
} RpChildrenArgs;

extern RpSpec *rp_spec_from_json(Jsonb *jspec);
extern RpSpec *rp_spec_from_children(const RpChildrenArgs *args,
									 Oid child_rel);

/* ------------------------------------------------------------------------
 * The plan (rp_fetch_plan.c, rp_fetch_keys.c)
 * ------------------------------------------------------------------------
 */

/* How the values of a key are hashed and compared within a batch */
typedef struct RpKeyType
{
	int			nkeys;
	Oid			typid[INDEX_MAX_KEYS];	/* base types */
	bool		bitwise[INDEX_MAX_KEYS];	/* equal when the bits are */
	int16		typlen[INDEX_MAX_KEYS];
	bool		typbyval[INDEX_MAX_KEYS];
	Oid			collation[INDEX_MAX_KEYS];
	FmgrInfo	hash[INDEX_MAX_KEYS];
	FmgrInfo	eq[INDEX_MAX_KEYS];
} RpKeyType;

/* The forms of a node's query (RpQuery) */
typedef enum RpQueryForm
{
	RP_FORM_ALL,				/* every row that passes the filters */
	RP_FORM_KEYED,				/* rows whose key is in the batch's: = ANY */
	RP_FORM_RANGE				/* rows whose key is between the batch's least
								 * and greatest */
} RpQueryForm;

/* One query of a node, in its forms */
typedef struct RpQuery
{
	char	   *sql_all;		/* every row that passes the filters */
	char	   *sql_keyed;		/* only rows whose key is in $1.. */
	char	   *sql_range;		/* only rows whose key is from $1 to $2 (a key
								 * of one integer column), or NULL */
	SPIPlanPtr	plan_all;
	SPIPlanPtr	plan_keyed;
	SPIPlanPtr	plan_range;
	int			nparams;
	Oid			paramtypes[INDEX_MAX_KEYS]; /* arrays of the key's types */
	Oid			rangetypes[2];	/* the range form's: the key's type */
	Oid			sized_by;		/* the table whose size decides the form */
	bool		key_sorted;		/* sorted by its key first (grouped order) */
	const char *what;			/* for the error context */
	TupleDesc	rowdesc;		/* its rows, as prepared */
} RpQuery;

typedef struct RpNode
{
	bool		root;			/* the parent rows themselves */
	bool		to_one;			/* an object or null in its parent's */
	bool		spread;			/* its keys in its parent's object: a to-one
								 * row's values, or arrays of a to-many one's
								 * rows' values */
	bool		columnar;		/* read key by key (a to-many spread, or a
								 * spread in one): its rows keep where their
								 * columns end */
	bool		junction;		/* read through a junction table (links) */
	Oid			relid;
	char	   *relname;		/* schema-qualified, for messages */
	char	   *label;			/* "key": in the parent's object */
	int			labellen;
	int64		limit;			/* per parent row; -1 for none */
	bool		typed;			/* payload is the whole row (fetch_children) */
	int			ncolumns;		/* rendered columns (fetch_json) */
	RpJsonColumn *columns;
	RpKeyType	key;			/* what rows are grouped by (not the root) */
	int			nparentcols;	/* the parent's columns the key matches */
	AttrNumber	parentcols[INDEX_MAX_KEYS];
	RpQuery		query;

	/* many-to-many: the junction rows, keyed like the parent's */
	RpKeyType	link_key;
	RpQuery		links;

	/* includes, and where their keys are in this node's rows */
	int			nincludes;
	struct RpNode **includes;
	int		   *include_keyoff; /* first key of include i in a row's keys */
	int			nrowkeys;		/* keys of all includes, then sort keys */
	int16	   *rowkey_typlen;
	bool	   *rowkey_typbyval;

	/* the order of each group's rows, applied after the query (or 0) */
	int			nsortkeys;		/* the last of a row's keys */
	SortSupportData *sortkeys;
} RpNode;

/* A planned fetch, kept in the backend's cache */
typedef struct RpFetchPlan
{
	char	   *cachekey;
	uint32		hash;
	MemoryContext cxt;
	int			refcount;		/* fetches running it */
	bool		dead;			/* invalidated; freed when refcount is 0 */
	uint64		lastused;
	uint64		invals;			/* invalidations seen when planning began */
	Oid		   *relids;			/* every table it reads */
	int			nrelids;
	RpNode	   *root;
	Oid			child_elemtype; /* fetch_children: the array's element type */
	int16		child_typlen;
	bool		child_typbyval;
	char		child_typalign;
} RpFetchPlan;

/* The key of the parent rows that an include is looked up by */
static inline RpKeyType *
rp_node_parent_key(RpNode *node)
{
	return node->junction ? &node->link_key : &node->key;
}

/*
 * A key: its values, and the first one again inline, so that comparing the
 * common single-column integer keys needs no pointer to be followed (a
 * cache miss per row otherwise).
 */
typedef struct RpKey
{
	Datum		first;
	const Datum *values;
} RpKey;

/*
 * Hash and compare keys of a node within a batch, by its key type (see
 * rp_fetch_keys.c): inline, as they run once per row.
 */
static inline RpKey
rp_key(const Datum *values)
{
	RpKey		key;

	key.first = values[0];
	key.values = values;
	return key;
}

static inline uint32
rp_key_hash(const RpKeyType *type, RpKey key)
{
	uint32		hash = 0;
	int			i;

	for (i = 0; i < type->nkeys; i++)
	{
		Datum		value = i == 0 ? key.first : key.values[i];
		uint32		h;

		if (type->bitwise[i])
			h = murmurhash32((uint32) (value ^ (value >> 32)));
		else
			h = DatumGetUInt32(FunctionCall1Coll((FmgrInfo *) &type->hash[i],
												 type->collation[i], value));
		hash = hash_combine(hash, h);
	}
	return hash;
}

static inline bool
rp_key_equal(const RpKeyType *type, RpKey a, RpKey b)
{
	int			i;

	for (i = 0; i < type->nkeys; i++)
	{
		Datum		va = i == 0 ? a.first : a.values[i];
		Datum		vb = i == 0 ? b.first : b.values[i];

		if (type->bitwise[i] ? va != vb :
			!DatumGetBool(FunctionCall2Coll((FmgrInfo *) &type->eq[i],
											type->collation[i], va, vb)))
			return false;
	}
	return true;
}

extern RpFetchPlan *rp_fetch_plan_json(Oid relid, Jsonb *spec);
extern RpFetchPlan *rp_fetch_plan_children(const RpChildrenArgs *args);
extern void rp_fetch_check_rows(const RpQuery *query, TupleDesc rows);
extern SPIPlanPtr rp_fetch_query_plan(RpQuery *query, RpQueryForm form);

extern void rp_key_pair(RpKeyType *key, int nkeys, Oid arel,
						const AttrNumber *acols, Oid brel,
						const AttrNumber *bcols, Oid refrel,
						const AttrNumber *refcols, MemoryContext cxt);
extern bool rp_key_sortable(const RpKeyType *key);
extern Oid	rp_column_type(Oid relid, AttrNumber attnum);
extern Oid	rp_column_collation(Oid relid, AttrNumber attnum);

/* ------------------------------------------------------------------------
 * Each parent's rows put in order after they are read (rp_fetch_sort.c;
 * rp_sort_groups is in rp_fetch_map.h)
 * ------------------------------------------------------------------------
 */

extern bool rp_sort_plan(RpNode *node, const RpSpec *spec, Oid relid,
						 List **body);

/* ------------------------------------------------------------------------
 * The queries (rp_fetch_sql.c)
 *
 * A node's query returns, in this order:
 *	1. the node's key columns, what its rows are grouped by, in the types
 *	   of the parent's columns they match (none for the root);
 *	2. its payload: the rendered columns (fetch_json), or the whole row as
 *	   one value (fetch_children);
 *	3. the columns its includes are looked up by, include after include
 *	   (node->include_keyoff says where each one's start);
 *	4. the columns its rows are put in order by after the query, when it
 *	   does not sort them (node->nsortkeys: rp_fetch_sort.c).
 * Rows keep 3 and 4 as their keys.  A many-to-many node's junction query
 * returns the junction's columns that match the parent's key, then those
 * that match the target's.
 * rp_fetch_exec.c reads the rows back by position, through the functions
 * below.
 * ------------------------------------------------------------------------
 */

static inline int
rp_query_payload_offset(const RpNode *node)
{
	return node->root ? 0 : node->key.nkeys;
}

static inline int
rp_query_payload_width(const RpNode *node)
{
	return node->typed ? 1 : node->ncolumns;
}

static inline int
rp_query_rowkeys_offset(const RpNode *node)
{
	return rp_query_payload_offset(node) + rp_query_payload_width(node);
}

extern List *rp_sql_key_columns(Oid relid, const AttrNumber *cols,
								const RpKeyType *key, const char *prefix);
extern List *rp_sql_key_values(Oid relid, const AttrNumber *cols,
							   const RpKeyType *key);
extern List *rp_sql_outer_key_values(Oid relid, const AttrNumber *cols,
									 const RpKeyType *key,
									 const char *qualifier);
extern List *rp_sql_aliased(List *exprs, const char *prefix);
extern char *rp_sql_column(const char *name);
extern char *rp_sql_whole_row(Relation rel);
extern char *rp_sql_include_key(Oid relid, AttrNumber attnum, Oid as_type,
								int position);
extern char *rp_sql_sort_key(Oid relid, AttrNumber attnum, int position);
extern char *rp_sql_limit(int64 limit, int64 offset);
extern char *rp_sql_and(const char *where, List *conds);
extern char *rp_sql_inner(Oid relid, List *keys, const char *where,
						  List *values, const RpKeyType *key, int64 limit);
extern char *rp_sql_related_join(Oid relid, const char *table, List *keys,
								 const char *value, const char *joins,
								 List *values, const RpKeyType *key,
								 const char *as);
extern char *rp_sql_related_ref(const char *as);
extern char *rp_sql_column_ref(const char *qualifier, const char *name);
extern char *rp_sql_order_item(const char *value, bool desc, int nulls);
extern char *rp_sql_order_list(List *items);
extern char *rp_sql_grouped_order(int nkeys, const char *order_by);
extern void rp_sql_sort_in_shards(RpQuery *query);
extern bool rp_sql_key_is_integer(Oid typid);
extern void rp_sql_write_query(RpQuery *query, List *select, Oid relid,
							   const char *where, const char *order_by,
							   List *keys, const RpKeyType *key_types,
							   const char *tail, Oid sized_by,
							   const char *what);
extern void rp_sql_write_joined(RpQuery *query, List *select, Oid relid,
								const char *joins, const char *where,
								const char *order_by, List *keys,
								const RpKeyType *key_types, const char *tail,
								Oid sized_by, const char *what);

/* ------------------------------------------------------------------------
 * The cache (rp_fetch_cache.c)
 * ------------------------------------------------------------------------
 */

extern void rp_fetch_cache_init(void);
extern char rp_fetch_cache_strings_mode(void);
extern RpFetchPlan *rp_fetch_cache_lookup(const char *cachekey, uint32 hash);
extern void rp_fetch_cache_begin(RpFetchPlan *plan);
extern void rp_fetch_cache_add(RpFetchPlan *plan);
extern void rp_fetch_plan_release(RpFetchPlan *plan);

/* ------------------------------------------------------------------------
 * The rows' memory (rp_fetch_arena.c)
 * ------------------------------------------------------------------------
 */

typedef struct RpBlock RpBlock;

/* Bump allocation of a batch's rows, in blocks taken from the pool */
typedef struct RpArena
{
	char	   *next;
	Size		left;
	RpBlock    *blocks;			/* the blocks the batch has taken */
	int			nsmall;
	int			nlarge;
	Size		oversize;		/* bytes of rows too big for a small block */
	MemoryContext cxt;			/* the batch's: its reset gives them back */
	MemoryContextCallback give_back;
	bool		armed;			/* give_back is registered */
	bool		clean;			/* the block is zero from next on */
} RpArena;

extern void rp_arena_init_module(void);
extern void rp_arena_init(RpArena *arena, MemoryContext cxt);
extern void *rp_arena_alloc_slow(RpArena *arena, Size size);
extern void *rp_arena_alloc_map(RpArena *arena, Size size);
extern bool rp_arena_owns(RpArena *arena, const void *pointer);
extern Size rp_arena_used(const RpArena *arena);

/* Memory that lives until the arena's context is reset: once per row */
static inline void *
rp_arena_alloc(RpArena *arena, Size size)
{
	void	   *result;

	size = MAXALIGN(size);
	if (unlikely(size > arena->left))
		return rp_arena_alloc_slow(arena, size);
	result = arena->next;
	arena->next += size;
	arena->left -= size;
	return result;
}

/* ------------------------------------------------------------------------
 * A batch's rows (rp_fetch_exec.c reads them, rp_fetch_output.c writes
 * the output from them)
 * ------------------------------------------------------------------------
 */

typedef struct RpGroup RpGroup;

/* A row read by a node */
typedef struct RpRow
{
	struct RpRow *next;			/* the next row of its group */
	const char *text;			/* fetch_json: "{own fields" (no closing); a
								 * columnar node's rows are followed by where
								 * each column's value ends */
	int			len;
	uint32		rank;			/* order of arrival (a batch holds far fewer
								 * rows of a node than 2^32, at 56 bytes or
								 * more each) */
	Datum		value;			/* fetch_children: the row */
	Datum	   *keys;			/* what its includes are looked up by */
	bool	   *keynulls;
	RpGroup   **groups;			/* per include: its rows, or NULL */
} RpRow;

/* A many-to-many link from a parent's group to a target's group */
typedef struct RpLinkItem
{
	struct RpLinkItem *next;
	RpGroup    *target;
} RpLinkItem;

/* The rows of one node that share a key */
struct RpGroup
{
	RpRow	   *head;
	RpRow	   *tail;
	int64		count;
	RpLinkItem *links;			/* many-to-many: the parent's links */
	int64		nlinks;
};


/*
 * Where each column's value ends in the text of a row of a columnar node
 * (RpNode.columnar), as offsets into it: they follow the text
 */
static inline const int32 *
rp_row_column_ends(const RpRow *row)
{
	return (const int32 *) (row->text + MAXALIGN(row->len));
}

extern int	rp_linked_rows(RpNode *node, RpGroup *group, RpRow ***rows);
extern void rp_emit(StringInfo out, RpNode *node, RpRow *row);

/* ------------------------------------------------------------------------
 * Running a plan (rp_fetch_exec.c)
 * ------------------------------------------------------------------------
 */

typedef struct RpFetch RpFetch;

extern void rp_fetch_init(void);
extern RpFetch *rp_fetch_begin(RpFetchPlan *plan, ExprContext *econtext);
extern bool rp_fetch_next_json(RpFetch *fetch, Datum *result);
extern bool rp_fetch_next_children(RpFetch *fetch, Datum *parent,
								   Datum *children);
extern void rp_fetch_end(RpFetch *fetch);

#endif							/* RP_FETCH_H */
