/*-------------------------------------------------------------------------
 *
 * rp_fetch_plan.h
 *	  Planning a fetch: from a call of fetch_json or fetch_children to a
 *	  tree of queries, cached per backend.
 *
 * A fetch plan is a tree of nodes.  The root reads the parent rows; every
 * other node reads the rows of one relationship of its parent node.  Each
 * node runs one query per batch of parent rows, whatever the number of
 * rows, in one of two forms chosen per batch (see rp_fetch_exec.c): all
 * the rows that pass the node's filters, or only those whose key is among
 * the batch's keys.  A many-to-many node also reads its junction table.
 *
 * A node's query returns, in order: the node's key columns (what its rows
 * are grouped by, in the types of the parent's columns they match), its
 * payload (the columns to render, or the whole row for fetch_children),
 * then the columns its own includes are keyed by.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FETCH_PLAN_H
#define RP_FETCH_PLAN_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"

#include "rp_json.h"

/* Bounds on what a spec may ask for; documented in README.md */
#define RP_FETCH_MAX_DEPTH		8	/* levels of include below the parent */
#define RP_FETCH_MAX_INCLUDES	32	/* includes of one object */

/* How a node hangs from its parent */
typedef enum RpLink
{
	RP_LINK_ROOT,				/* the parent rows themselves */
	RP_LINK_ONE,				/* forward FK: an object or null */
	RP_LINK_MANY,				/* reverse FK: an array */
	RP_LINK_MANY_TO_MANY		/* through a junction: an array */
} RpLink;

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

/* One query of a node, in its two forms */
typedef struct RpQuery
{
	char	   *sql_all;		/* every row that passes the filters */
	char	   *sql_keyed;		/* only rows whose key is in $1.. */
	SPIPlanPtr	plan_all;
	SPIPlanPtr	plan_keyed;
	int			nparams;
	Oid			paramtypes[INDEX_MAX_KEYS]; /* arrays of the key's types */
	Oid			sized_by;		/* the table whose size decides the form */
	const char *what;			/* for the error context */
	TupleDesc	rowdesc;		/* its rows, as prepared */
} RpQuery;

typedef struct RpNode
{
	RpLink		link;
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
	int			nrowkeys;		/* keys of all includes */
	int16	   *rowkey_typlen;
	bool	   *rowkey_typbyval;
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

extern RpFetchPlan *rp_fetch_plan_json(Oid relid, Jsonb *spec);
extern RpFetchPlan *rp_fetch_plan_children(const RpChildrenArgs *args);
extern void rp_fetch_plan_release(RpFetchPlan *plan);
extern void rp_fetch_plan_init(void);
extern void rp_fetch_check_rows(const RpQuery *query, TupleDesc rows);

#endif							/* RP_FETCH_PLAN_H */
