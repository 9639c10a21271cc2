/*-------------------------------------------------------------------------
 *
 * rp_fetch_plan.c
 *	  From a fetch_json spec or fetch_children's arguments to a tree of
 *	  prepared queries, cached per backend.
 *
 * Planning a fetch:
 *	1. Read the spec (fetch_json) into a tree of includes, checking every
 *	   key and value, expanding "a__b" paths and merging shared prefixes.
 *	2. Check each where and order_by fragment: it must parse, alone, as
 *	   exactly one WHERE expression or one ORDER BY list, with nothing else
 *	   (no second statement, no clause after it, no parenthesis closing
 *	   what it did not open) and no data-modifying statement anywhere in it.
 *	   Fragments are then placed in the queries as written (a WHERE inside
 *	   parentheses, each on a line of its own), so a fragment that passed
 *	   cannot change anything around it.
 *	3. Resolve each include's name to a relationship (rp_relationship.c).
 *	4. Write each node's queries.  Everything relprefetch writes is
 *	   schema-qualified (tables, types, operators), so the queries mean the
 *	   same under any search_path; only the user's fragments are read with
 *	   the caller's search_path, as they would be in the caller's own SQL.
 *	5. Prepare and keep the plans (SPI_keepplan).  PostgreSQL's plan cache
 *	   re-plans them when a table changes, when search_path changes, and
 *	   for row-level security when the role changes.
 *
 * The cache: at most RP_FETCH_CACHE_SIZE plans, keyed by the call's
 * arguments and standard_conforming_strings (which decides how a fragment's
 * strings are read, so a fragment checked under one setting must be read
 * again under the other), least recently used out first.  A plan lists the tables it
 * reads; a relcache invalidation of any of them (ALTER TABLE, a foreign
 * key added or dropped on either side, a column added or dropped, a
 * rename) drops it, and so does any change to pg_constraint, pg_type,
 * pg_cast or pg_namespace (constraint renames, types whose JSON rendering
 * may change, schema renames).  A plan in use by a running fetch is only
 * marked dead and freed when the fetch releases it, or at the end of the
 * transaction if an error cut the fetch short.
 *
 * Everything is backend-local: no shared memory, no locks of our own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "rp_fetch_plan.h"
#include "rp_relationship.h"

#define RP_FETCH_CACHE_SIZE		64

/* One object of a fetch_json spec, or of fetch_children's arguments */
typedef struct RpSpec
{
	char	   *key;			/* output key (includes only) */
	char	   *path;			/* one relationship name (includes only) */
	char	   *via;
	List	   *columns;		/* char *; NIL with all_columns */
	bool		all_columns;
	char	   *where;
	char	   *order_by;
	int64		limit;			/* -1 for none */
	int64		offset;			/* root only; 0 for none */
	List	   *includes;		/* RpSpec * */
	bool		explicit;		/* given its own object (vs. a path prefix) */
	char	   *context;		/* where it is in the spec, for messages */
	bool		typed;			/* fetch_children: whole rows, not JSON */
	Oid			only_target;	/* fetch_children: the child table */
} RpSpec;

/* Which kind of fragment rp_check_fragment reads */
typedef enum RpFragment
{
	RP_FRAGMENT_WHERE,
	RP_FRAGMENT_ORDER_BY
} RpFragment;

/* The cache, and the counter that orders its entries by last use */
static List *rp_plans = NIL;
static List *rp_dead_plans = NIL;
static uint64 rp_plan_clock = 0;
static bool rp_plan_callbacks = false;
static bool rp_plan_xact_watched = false;



static RpSpec *rp_spec_new(const char *context);
static void rp_spec_read(RpSpec *spec, JsonbContainer *container,
						 bool root, int depth);
static RpNode *rp_plan_node(RpFetchPlan *plan, RpSpec *spec, Oid relid,
							RpLink link, List **body);
static void rp_plan_include(RpFetchPlan *plan, RpNode *parent, int index,
							RpSpec *spec);

/* ------------------------------------------------------------------------
 * The cache
 * ------------------------------------------------------------------------
 */

static void
rp_plan_free(RpFetchPlan *plan)
{
	List	   *nodes = list_make1(plan->root);
	ListCell   *lc;

	/* the kept SPI plans are not in plan->cxt */
	foreach(lc, nodes)
	{
		RpNode	   *node = (RpNode *) lfirst(lc);
		SPIPlanPtr	plans[4] = {node->query.plan_all, node->query.plan_keyed,
		node->links.plan_all, node->links.plan_keyed};
		int			i;

		for (i = 0; i < 4; i++)
		{
			if (plans[i] != NULL)
				SPI_freeplan(plans[i]);
		}
		for (i = 0; i < node->nincludes; i++)
			nodes = lappend(nodes, node->includes[i]);
	}
	list_free(nodes);
	MemoryContextDelete(plan->cxt);
}

/* Take plan out of the cache; free it now, or when its fetch releases it */
static void
rp_plan_kill(RpFetchPlan *plan)
{
	MemoryContext old;

	rp_plans = list_delete_ptr(rp_plans, plan);
	if (plan->refcount == 0)
	{
		rp_plan_free(plan);
		return;
	}
	plan->dead = true;
	old = MemoryContextSwitchTo(TopMemoryContext);
	rp_dead_plans = lappend(rp_dead_plans, plan);
	MemoryContextSwitchTo(old);
}

static void
rp_plan_kill_all(void)
{
	while (rp_plans != NIL)
		rp_plan_kill((RpFetchPlan *) linitial(rp_plans));
}

/*
 * A relation or catalog changed.  rp_relation_generation counts these for
 * every cache of catalog facts (rp_relationship.h); a plan whose planning
 * saw one may have read the catalogs before the change, so it is used once
 * and not cached.
 */
static void
rp_plan_relcache_callback(Datum arg, Oid relid)
{
	ListCell   *lc;

	rp_relation_generation++;
	if (!OidIsValid(relid))
	{
		rp_plan_kill_all();
		return;
	}
	foreach(lc, rp_plans)
	{
		RpFetchPlan *plan = (RpFetchPlan *) lfirst(lc);
		int			i;

		for (i = 0; i < plan->nrelids; i++)
		{
			if (plan->relids[i] == relid)
			{
				rp_plan_kill(plan);
				/* the list changed under us: start over */
				rp_plan_relcache_callback(arg, relid);
				return;
			}
		}
	}
}

static void
rp_plan_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	rp_relation_generation++;
	rp_plan_kill_all();
}

/*
 * At the end of a transaction no fetch is running any more: plans that an
 * error left pinned are unpinned, and dead ones freed.  The callback is
 * registered when the session first pins a plan, so that transactions of
 * sessions that run no fetch do not pay for it, and never unregistered:
 * a callback that unregisters itself frees the list entry its caller may
 * still read to find the next one, which not every release guards against.
 */
static void
rp_plan_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT && event != XACT_EVENT_PREPARE)
		return;
	foreach(lc, rp_plans)
		((RpFetchPlan *) lfirst(lc))->refcount = 0;
	foreach(lc, rp_dead_plans)
		rp_plan_free((RpFetchPlan *) lfirst(lc));
	list_free(rp_dead_plans);
	rp_dead_plans = NIL;
}

/* A plan is about to be pinned: watch for the end of the transaction */
static void
rp_plan_watch_xact(void)
{
	if (rp_plan_xact_watched)
		return;
	RegisterXactCallback(rp_plan_xact_callback, NULL);
	rp_plan_xact_watched = true;
}

/* Called by _PG_init: the cache must hear of every change from the start */
void
rp_fetch_plan_init(void)
{
	if (rp_plan_callbacks)
		return;
	CacheRegisterRelcacheCallback(rp_plan_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(CONSTROID, rp_plan_syscache_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, rp_plan_syscache_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(CASTSOURCETARGET, rp_plan_syscache_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, rp_plan_syscache_callback,
								  (Datum) 0);
	rp_plan_callbacks = true;
}

/* The part of a cache key that says how fragments' strings are read */
static char
rp_strings_mode(void)
{
	return standard_conforming_strings ? 's' : 'e';
}

static RpFetchPlan *
rp_plan_lookup(const char *cachekey, uint32 hash)
{
	ListCell   *lc;

	foreach(lc, rp_plans)
	{
		RpFetchPlan *plan = (RpFetchPlan *) lfirst(lc);

		if (plan->hash == hash && strcmp(plan->cachekey, cachekey) == 0)
		{
			rp_plan_watch_xact();
			plan->refcount++;
			plan->lastused = ++rp_plan_clock;
			return plan;
		}
	}
	return NULL;
}

static void
rp_plan_remember(RpFetchPlan *plan)
{
	MemoryContext old;

	if (list_length(rp_plans) >= RP_FETCH_CACHE_SIZE)
	{
		RpFetchPlan *oldest = NULL;
		ListCell   *lc;

		foreach(lc, rp_plans)
		{
			RpFetchPlan *p = (RpFetchPlan *) lfirst(lc);

			if (oldest == NULL || p->lastused < oldest->lastused)
				oldest = p;
		}
		rp_plan_kill(oldest);
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	rp_plans = lappend(rp_plans, plan);
	MemoryContextSwitchTo(old);
	rp_plan_watch_xact();
	plan->refcount++;
	plan->lastused = ++rp_plan_clock;
}

void
rp_fetch_plan_release(RpFetchPlan *plan)
{
	if (plan->refcount > 0)
		plan->refcount--;
	if (plan->dead && plan->refcount == 0)
	{
		rp_dead_plans = list_delete_ptr(rp_dead_plans, plan);
		rp_plan_free(plan);
	}
}

/* ------------------------------------------------------------------------
 * Reading the spec
 * ------------------------------------------------------------------------
 */

static RpSpec *
rp_spec_new(const char *context)
{
	RpSpec	   *spec = palloc0(sizeof(RpSpec));

	spec->all_columns = true;
	spec->limit = -1;
	spec->context = pstrdup(context);
	return spec;
}

static const char *
rp_jsonb_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ?
				"an array" : "an object";
		default:
			return "a value";
	}
}

static void
rp_spec_type_error(const RpSpec *spec, const char *key, JsonbValue *v,
				   const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("relprefetch: \"%s\" of %s must be %s, not %s",
					key, spec->context, expected, rp_jsonb_type_name(v))));
}

static char *
rp_spec_string(const RpSpec *spec, const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		rp_spec_type_error(spec, key, v, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A limit or offset: a non-negative integer */
static int64
rp_spec_count(const RpSpec *spec, const char *key, JsonbValue *v)
{
	char	   *str;
	char	   *end;
	int64		n;

	if (v->type != jbvNumeric)
		rp_spec_type_error(spec, key, v, "an integer");
	str = DatumGetCString(DirectFunctionCall1(numeric_out,
											  NumericGetDatum(v->val.numeric)));
	errno = 0;
	n = strtoi64(str, &end, 10);
	if (*end == '.')			/* 2.0 is an integer too */
		end += strspn(end + 1, "0") + 1;
	if (*end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relprefetch: \"%s\" of %s must be an integer, not %s",
						key, spec->context, str)));
	if (errno != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("relprefetch: \"%s\" of %s is out of range: %s",
						key, spec->context, str)));
	if (n < 0)
		ereport(ERROR,
				(errcode(strcmp(key, "offset") == 0 ?
						 ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE :
						 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
				 errmsg("relprefetch: \"%s\" of %s must not be negative",
						key, spec->context)));
	return n;
}

/* ------------------------------------------------------------------------
 * Checking where and order_by fragments
 * ------------------------------------------------------------------------
 */

/* Does the raw parse tree hold a statement that writes or locks rows? */
static bool
rp_writes_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			return true;
		case T_SelectStmt:
			if (((SelectStmt *) node)->lockingClause != NIL)
				return true;
			break;
		default:
			break;
	}
	return raw_expression_tree_walker(node, rp_writes_walker, context);
}

static void
rp_fragment_error(const char *what, const char *context, const char *fragment,
				  const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("relprefetch: \"%s\" of %s must be %s",
					what, context, problem),
			 errdetail("It was: %s", fragment)));
}

/* What a syntax error in a fragment is reported against */
typedef struct RpFragmentSource
{
	const char *context;		/* "relprefetch: in "where" of ..." */
	const char *fragment;
	int			prefix;			/* characters before it in the parsed text */
} RpFragmentSource;

/*
 * Report a syntax error as being in the fragment, at its place there,
 * rather than in the caller's statement at the place it has in the text we
 * parsed.
 */
static void
rp_fragment_error_context(void *arg)
{
	RpFragmentSource *source = (RpFragmentSource *) arg;
	int			position = geterrposition();

	if (position > 0)
	{
		errposition(0);
		if (position - source->prefix <= pg_mbstrlen(source->fragment))
		{
			internalerrposition(position - source->prefix);
			internalerrquery(source->fragment);
		}
	}
	errcontext("%s", source->context);
}

/* Is this ORDER BY item a column position ("ORDER BY 1")? */
static bool
rp_is_position(Node *node)
{
	return IsA(node, SortBy) && IsA(((SortBy *) node)->node, A_Const) &&
		IsA(&((A_Const *) ((SortBy *) node)->node)->val, Integer);
}

/*
 * Check that fragment is exactly one WHERE expression or one ORDER BY list
 * and that nothing in it writes.  It is parsed alone, after "SELECT WHERE"
 * or "SELECT ORDER BY", so a fragment that closes a parenthesis it did not
 * open, adds a clause or a statement, or leaves a comment or a string open
 * fails here.
 */
static void
rp_check_fragment(const char *fragment, RpFragment kind, const char *what,
				  const char *context)
{
	const char *problem = kind == RP_FRAGMENT_WHERE ?
		"one SQL expression" : "one SQL ORDER BY list";
	const char *prefix = kind == RP_FRAGMENT_WHERE ?
		"SELECT WHERE " : "SELECT ORDER BY ";
	RpFragmentSource source;
	ErrorContextCallback callback;
	List	   *parsed;
	SelectStmt *select;
	ListCell   *lc;

	source.context = psprintf("relprefetch: in \"%s\" of %s", what, context);
	source.fragment = fragment;
	source.prefix = strlen(prefix);
	callback.callback = rp_fragment_error_context;
	callback.arg = &source;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	parsed = raw_parser(psprintf("%s%s", prefix, fragment), RAW_PARSE_DEFAULT);
	error_context_stack = callback.previous;

	/* a statement followed by ";" has a length; the last one alone has 0 */
	if (list_length(parsed) != 1 ||
		((RawStmt *) linitial(parsed))->stmt_len != 0 ||
		!IsA(((RawStmt *) linitial(parsed))->stmt, SelectStmt))
		rp_fragment_error(what, context, fragment, problem);
	select = (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt;
	if (select->op != SETOP_NONE || select->distinctClause != NIL ||
		select->intoClause != NULL || select->targetList != NIL ||
		select->fromClause != NIL || select->groupClause != NIL ||
		select->havingClause != NULL || select->windowClause != NIL ||
		select->valuesLists != NIL || select->limitOffset != NULL ||
		select->limitCount != NULL || select->lockingClause != NIL ||
		select->withClause != NULL ||
		(kind == RP_FRAGMENT_WHERE) != (select->whereClause != NULL) ||
		(kind == RP_FRAGMENT_ORDER_BY) != (select->sortClause != NIL))
		rp_fragment_error(what, context, fragment, problem);
	/* our queries put columns of their own first: positions would mislead */
	foreach(lc, select->sortClause)
	{
		if (rp_is_position(lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("relprefetch: \"%s\" of %s must name what to sort by, not a column position",
							what, context),
					 errdetail("It was: %s", fragment)));
	}
	if (rp_writes_walker((Node *) select, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("relprefetch: \"%s\" of %s must not modify or lock rows",
						what, context),
				 errdetail("It was: %s", fragment)));
}

/* ------------------------------------------------------------------------
 * Reading the spec (continued)
 * ------------------------------------------------------------------------
 */

static void
rp_spec_columns(RpSpec *spec, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		rp_spec_type_error(spec, "columns", v, "an array of column names");
	spec->all_columns = false;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			rp_spec_type_error(spec, "columns", &elem,
							   "an array of column names");
		spec->columns = lappend(spec->columns,
								pnstrdup(elem.val.string.val,
										 elem.val.string.len));
	}
}

/* How messages name the include key of parent: include "a__b" */
static char *
rp_spec_context(const RpSpec *parent, const char *key)
{
	if (parent->key == NULL)
		return psprintf("include \"%s\"", key);
	return psprintf("%.*s__%s\"", (int) strlen(parent->context) - 1,
					parent->context, key);
}

/* The include of parent with output key key, made if missing */
static RpSpec *
rp_spec_child(RpSpec *parent, const char *key, const char *path, int depth)
{
	ListCell   *lc;
	RpSpec	   *child;

	foreach(lc, parent->includes)
	{
		child = (RpSpec *) lfirst(lc);
		if (strcmp(child->key, key) == 0)
		{
			if (strcmp(child->path, path) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("relprefetch: include \"%s\" of %s names two relationships, \"%s\" and \"%s\"",
								key, parent->context, child->path, path)));
			return child;
		}
	}
	if (depth > RP_FETCH_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("relprefetch: includes nest deeper than %d levels at \"%s\" of %s",
						RP_FETCH_MAX_DEPTH, key, parent->context)));
	if (list_length(parent->includes) >= RP_FETCH_MAX_INCLUDES)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("relprefetch: %s has more than %d includes",
						parent->context, RP_FETCH_MAX_INCLUDES)));
	child = rp_spec_new(rp_spec_context(parent, key));
	child->key = pstrdup(key);
	child->path = pstrdup(path);
	parent->includes = lappend(parent->includes, child);
	return child;
}

/* Split a path at "__"; every part must be a name */
static List *
rp_spec_path(const RpSpec *spec, const char *path)
{
	List	   *parts = NIL;
	const char *start = path;

	for (;;)
	{
		const char *sep = strstr(start, "__");
		int			len = sep ? sep - start : strlen(start);

		if (len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relprefetch: path \"%s\" in %s has an empty relationship name",
							path, spec->context),
					 errhint("A path is relationship names joined by \"__\", as in \"author__country\".")));
		parts = lappend(parts, pnstrdup(start, len));
		if (sep == NULL)
			return parts;
		start = sep + 2;
	}
}

/* Walk or make the includes for the path's names but the last */
static RpSpec *
rp_spec_walk(RpSpec *spec, List *parts, int *depth)
{
	int			i;

	for (i = 0; i < list_length(parts) - 1; i++)
	{
		char	   *name = (char *) list_nth(parts, i);

		spec = rp_spec_child(spec, name, name, ++(*depth));
	}
	return spec;
}

static void
rp_spec_includes(RpSpec *spec, JsonbValue *v, int depth)
{
	JsonbIterator *it;
	JsonbValue	item;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (v->type != jbvBinary)
		rp_spec_type_error(spec, "include", v, "an array of paths or an object");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		List	   *parts;
		RpSpec	   *at;
		RpSpec	   *child;
		int			d = depth;
		char	   *path;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(item.val.string.val, item.val.string.len);
			continue;
		}
		if (tok == WJB_ELEM)
		{
			/* array form: every path adds what it names */
			if (item.type != jbvString)
				rp_spec_type_error(spec, "include", &item,
								   "an array of paths (strings)");
			path = pnstrdup(item.val.string.val, item.val.string.len);
			parts = rp_spec_path(spec, path);
			at = rp_spec_walk(spec, parts, &d);
			(void) rp_spec_child(at, llast(parts), llast(parts), d + 1);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;

		/* object form: key -> sub-spec, whose path defaults to the key */
		if (item.type != jbvBinary || !JsonContainerIsObject(item.val.binary.data))
			rp_spec_type_error(spec, psprintf("include\" key \"%s", key), &item,
							   "an object");
		path = key;
		{
			JsonbValue	pathval;

			if (getKeyJsonValueFromContainer(item.val.binary.data, "path", 4,
											 &pathval) != NULL &&
				pathval.type != jbvNull)
			{
				RpSpec	   *named = rp_spec_new(rp_spec_context(spec, key));

				path = rp_spec_string(named, "path", &pathval);
			}
		}
		parts = rp_spec_path(spec, path);
		at = rp_spec_walk(spec, parts, &d);
		child = rp_spec_child(at, key, llast(parts), d + 1);
		if (child->explicit)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relprefetch: include \"%s\" of %s is given twice",
							key, at->context)));
		child->explicit = true;
		rp_spec_read(child, item.val.binary.data, false, d + 1);
	}
}

/*
 * Read one object of the spec into spec: the root (root true) or an
 * include's sub-spec, at depth levels below the root.
 */
static void
rp_spec_read(RpSpec *spec, JsonbContainer *container, bool root, int depth)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (v.type == jbvNull)
			continue;			/* null: as if not given */

		if (strcmp(key, "columns") == 0)
			rp_spec_columns(spec, &v);
		else if (strcmp(key, "where") == 0)
		{
			spec->where = rp_spec_string(spec, key, &v);
			rp_check_fragment(spec->where, RP_FRAGMENT_WHERE, key,
							  spec->context);
		}
		else if (strcmp(key, "order_by") == 0)
		{
			spec->order_by = rp_spec_string(spec, key, &v);
			rp_check_fragment(spec->order_by, RP_FRAGMENT_ORDER_BY, key,
							  spec->context);
		}
		else if (strcmp(key, "limit") == 0)
			spec->limit = rp_spec_count(spec, key, &v);
		else if (strcmp(key, "offset") == 0 && root)
			spec->offset = rp_spec_count(spec, key, &v);
		else if (strcmp(key, "include") == 0)
			rp_spec_includes(spec, &v, depth);
		else if (strcmp(key, "via") == 0 && !root)
			spec->via = rp_spec_string(spec, key, &v);
		else if (strcmp(key, "path") == 0 && !root)
			continue;			/* read by rp_spec_includes */
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relprefetch: unknown key \"%s\" in %s", key,
							spec->context),
					 errhint("%s",
							 root ? "The spec's keys are columns, where, order_by, limit, offset and include." :
							 "An include's keys are path, via, columns, where, order_by, limit and include.")));
	}
}

/* ------------------------------------------------------------------------
 * Writing the queries
 * ------------------------------------------------------------------------
 */

/* The names of a table's columns, for a hint */
static char *
rp_column_names(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
						 quote_identifier(NameStr(att->attname)));
	}
	return buf.data;
}

/* The columns a node renders: those the spec names, or all */
static void
rp_plan_columns(RpNode *node, Relation rel, RpSpec *spec, MemoryContext cxt,
				List **sql)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *names = NIL;
	ListCell   *lc;
	int			i;

	if (spec->all_columns)
	{
		for (i = 0; i < desc->natts; i++)
		{
			if (!TupleDescAttr(desc, i)->attisdropped)
				names = lappend(names, NameStr(TupleDescAttr(desc, i)->attname));
		}
	}
	else
		names = spec->columns;

	node->ncolumns = list_length(names);
	node->columns = MemoryContextAllocZero(cxt, sizeof(RpJsonColumn) *
										   Max(node->ncolumns, 1));
	i = 0;
	foreach(lc, names)
	{
		char	   *name = (char *) lfirst(lc);
		AttrNumber	attnum = get_attnum(node->relid, name);
		ListCell   *lc2;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("relprefetch: column \"%s\" of %s does not exist (in %s)",
							name, node->relname, spec->context),
					 errhint("Its columns are: %s.", rp_column_names(rel))));
		foreach(lc2, names)
		{
			if (lc2 == lc)
				break;
			if (strcmp((char *) lfirst(lc2), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("relprefetch: column \"%s\" is listed twice in %s",
								name, spec->context)));
		}
		rp_json_column_init(&node->columns[i++],
							TupleDescAttr(desc, attnum - 1)->atttypid,
							name, cxt);
		*sql = lappend(*sql, (char *) quote_identifier(name));
	}

	/* an object cannot have two keys of the same name */
	foreach(lc, spec->includes)
	{
		RpSpec	   *include = (RpSpec *) lfirst(lc);

		if (rp_relation_name_matches(names, include->key))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("relprefetch: %s has the name of a column of %s",
							include->context, node->relname),
					 errhint("Put it under another key, with the relationship in \"path\": {\"include\": {\"%s_obj\": {\"path\": \"%s\"}}}.",
							 include->key, include->path)));
	}
}

static bool
rp_type_is_bitwise(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
		case CHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

/* Set up key to hash and compare values of the given types */
static void
rp_key_type_init(RpKeyType *key, int nkeys, const Oid *types,
				 const Oid *collations, MemoryContext cxt)
{
	int			i;

	key->nkeys = nkeys;
	for (i = 0; i < nkeys; i++)
	{
		Oid			typid = getBaseType(types[i]);
		TypeCacheEntry *tce;

		tce = lookup_type_cache(typid, TYPECACHE_HASH_PROC_FINFO |
								TYPECACHE_EQ_OPR_FINFO);
		if (!OidIsValid(tce->hash_proc) || !OidIsValid(tce->eq_opr))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("relprefetch cannot follow a key of type %s",
							format_type_be(typid)),
					 errdetail("The type has no hash function or no default equality operator.")));
		key->typid[i] = typid;
		key->bitwise[i] = rp_type_is_bitwise(typid);
		get_typlenbyval(typid, &key->typlen[i], &key->typbyval[i]);
		key->collation[i] = OidIsValid(collations[i]) ? collations[i] :
			get_typcollation(typid);
		fmgr_info_copy(&key->hash[i], &tce->hash_proc_finfo, cxt);
		fmgr_info_copy(&key->eq[i], &tce->eq_opr_finfo, cxt);
	}
}

static Oid
rp_column_type(Oid relid, AttrNumber attnum)
{
	return getBaseType(get_atttype(relid, attnum));
}

/* A column, cast to as_type when its type is another (a cross-type FK) */
static char *
rp_column_as(Oid relid, AttrNumber attnum, Oid as_type)
{
	char	   *name = (char *) quote_identifier(get_attname(relid, attnum, false));

	if (rp_column_type(relid, attnum) == getBaseType(as_type))
		return name;
	return psprintf("CAST(%s AS %s)", name, format_type_be_qualified(as_type));
}

static Oid
rp_column_collation(Oid relid, AttrNumber attnum)
{
	Oid			typid;
	int32		typmod;
	Oid			collation;

	get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collation);
	return collation;
}

/* "schema"."collation" */
static char *
rp_collation_name(Oid collation)
{
	HeapTuple	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
	Form_pg_collation form;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for collation %u", collation);
	form = (Form_pg_collation) GETSTRUCT(tuple);
	result = quote_qualified_identifier(get_namespace_name(form->collnamespace),
										NameStr(form->collname));
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Set up the key that matches columns acols of arel with bcols of brel,
 * column by column.  Each pair is compared in one type: the wider one when
 * one converts implicitly to the other (so that no value is cut short,
 * even in a NOT VALID foreign key), and with the collation of the
 * referenced column (refrel, refcols), the one the foreign key compares
 * with.
 */
static void
rp_key_pair(RpKeyType *key, int nkeys, Oid arel, const AttrNumber *acols,
			Oid brel, const AttrNumber *bcols, Oid refrel,
			const AttrNumber *refcols, MemoryContext cxt)
{
	Oid			types[INDEX_MAX_KEYS];
	Oid			collations[INDEX_MAX_KEYS];
	int			i;

	for (i = 0; i < nkeys; i++)
	{
		Oid			ta = rp_column_type(arel, acols[i]);
		Oid			tb = rp_column_type(brel, bcols[i]);

		if (ta == tb || can_coerce_type(1, &tb, &ta, COERCION_IMPLICIT))
			types[i] = ta;
		else if (can_coerce_type(1, &ta, &tb, COERCION_IMPLICIT))
			types[i] = tb;
		else
			types[i] = ta;
		collations[i] = rp_column_collation(refrel, refcols[i]);
	}
	rp_key_type_init(key, nkeys, types, collations, cxt);
}

/*
 * The values of key's columns cols of relid, as SQL: cast to the key's
 * types and collated as the key when the columns differ.
 */
static List *
rp_key_exprs(Oid relid, const AttrNumber *cols, const RpKeyType *key)
{
	List	   *result = NIL;
	int			i;

	for (i = 0; i < key->nkeys; i++)
	{
		char	   *expr = rp_column_as(relid, cols[i], key->typid[i]);
		Oid			collation = rp_column_collation(relid, cols[i]);

		if (OidIsValid(key->collation[i]) && collation != key->collation[i])
			expr = psprintf("%s COLLATE %s", expr,
							rp_collation_name(key->collation[i]));
		result = lappend(result, expr);
	}
	return result;
}

/* exprs with aliases of our own, which no ORDER BY can mistake for a column */
static List *
rp_aliased(List *exprs, const char *prefix)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, exprs)
		result = lappend(result, psprintf("%s AS \"?%s%d?\"", (char *) lfirst(lc),
										  prefix, foreach_current_index(lc) + 1));
	return result;
}

/* OPERATOR(schema.=), the default equality of typid */
static char *
rp_equality_operator(Oid typid)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(typid),
											TYPECACHE_EQ_OPR);
	HeapTuple	tuple = SearchSysCache1(OPEROID,
										ObjectIdGetDatum(tce->eq_opr));
	Form_pg_operator oper;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", tce->eq_opr);
	oper = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(oper->oprnamespace)),
					  NameStr(oper->oprname));
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Write query's two forms:
 *	SELECT <select> FROM <table> [WHERE (<where>)] [ORDER BY <order_by>]
 * and the same with "<keys[i]> = ANY ($i+1)" for each key added to the
 * WHERE.  key_types are the key's types, which the parameters are arrays of.
 */
static void
rp_write_query(RpQuery *query, List *select, Oid relid, const char *where,
			   const char *order_by, List *keys, const RpKeyType *key_types,
			   const char *tail, Oid sized_by, const char *what)
{
	StringInfoData head;
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	initStringInfo(&head);
	appendStringInfoString(&head, "SELECT ");
	foreach(lc, select)
		appendStringInfo(&head, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 (char *) lfirst(lc));
	appendStringInfo(&head, " FROM %s", rp_relation_qualified_name(relid));
	if (where != NULL)
		appendStringInfo(&head, " WHERE (%s\n)", where);

	initStringInfo(&buf);
	appendStringInfoString(&buf, head.data);
	if (order_by != NULL)
		appendStringInfo(&buf, " ORDER BY %s\n", order_by);
	if (tail != NULL)
		appendStringInfoString(&buf, tail);
	query->sql_all = buf.data;
	query->sized_by = sized_by;
	query->what = what;

	if (keys == NIL)
		return;
	initStringInfo(&buf);
	appendStringInfoString(&buf, head.data);
	query->nparams = list_length(keys);
	i = 0;
	foreach(lc, keys)
	{
		Oid			typid = key_types->typid[i];

		query->paramtypes[i] = get_array_type(typid);
		if (!OidIsValid(query->paramtypes[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("relprefetch cannot follow a key of type %s",
							format_type_be(typid)),
					 errdetail("The type has no array type.")));
		appendStringInfo(&buf, "%s %s %s ANY ($%d)",
						 (where != NULL || i > 0) ? " AND" : " WHERE",
						 (char *) lfirst(lc), rp_equality_operator(typid),
						 i + 1);
		i++;
	}
	if (order_by != NULL)
		appendStringInfo(&buf, " ORDER BY %s\n", order_by);
	query->sql_keyed = buf.data;
}

/* ------------------------------------------------------------------------
 * Resolving relationships and planning nodes
 * ------------------------------------------------------------------------
 */

static void
rp_plan_add_relid(RpFetchPlan *plan, Oid relid)
{
	int			i;

	for (i = 0; i < plan->nrelids; i++)
	{
		if (plan->relids[i] == relid)
			return;
	}
	plan->relids = plan->relids == NULL ?
		palloc(sizeof(Oid) * 8) :
		repalloc(plan->relids, sizeof(Oid) * (plan->nrelids + 8));
	plan->relids[plan->nrelids++] = relid;
}

/* "author_id / author / blog_author: public.blog_author (forward, ...)" */
static char *
rp_relations_hint(List *relations, bool vias)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, relations)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);
		ListCell   *lc2;
		int			n = 0;

		if (buf.len > 0)
			appendStringInfoString(&buf, "; ");
		foreach(lc2, vias ? r->vias : r->names)
		{
			char	   *name = (char *) lfirst(lc2);

			/* the bare names read best; the others are in the README */
			if (!vias && (strchr(name, '.') != NULL ||
						  (strcmp(name, r->fk->name) == 0 &&
						   list_length(r->names) > 1)))
				continue;
			appendStringInfo(&buf, "%s%s", n++ > 0 ? " / " : "", name);
		}
		appendStringInfo(&buf, ": %s", r->description);
	}
	return buf.len > 0 ? buf.data : "(none)";
}

/* The relationship an include names; an error unless exactly one */
static RpRelationship *
rp_plan_resolve(RpNode *parent, RpSpec *spec)
{
	List	   *all = rp_relation_list(parent->relid);
	List	   *named = NIL;
	List	   *chosen = NIL;
	ListCell   *lc;
	const char *name = spec->path ? spec->path :
		rp_relation_qualified_name(spec->only_target);

	foreach(lc, all)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);

		if (OidIsValid(spec->only_target) ?
			(r->target == spec->only_target &&
			 r->kind != RP_RELATION_FORWARD) :
			rp_relation_name_matches(r->names, spec->path))
			named = lappend(named, r);
	}
	if (named == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 OidIsValid(spec->only_target) ?
				 errmsg("relprefetch: no foreign key relates %s to the rows of %s",
						name, parent->relname) :
				 errmsg("relprefetch: %s has no relationship \"%s\" (in %s)",
						parent->relname, name, spec->context),
				 OidIsValid(spec->only_target) ?
				 errhint("fetch_children follows a foreign key of the child table to the parent table, or a junction table with foreign keys to both.") :
				 errhint("Its relationships: %s.", rp_relations_hint(all, false))));

	if (spec->via == NULL)
		chosen = named;
	else
	{
		foreach(lc, named)
		{
			RpRelationship *r = (RpRelationship *) lfirst(lc);

			if (rp_relation_name_matches(r->vias, spec->via))
				chosen = lappend(chosen, r);
		}
		if (chosen == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("relprefetch: no relationship \"%s\" of %s goes via \"%s\" (in %s)",
							name, parent->relname, spec->via, spec->context),
					 errhint("\"via\" may name: %s.",
							 rp_relations_hint(named, true))));
	}
	if (list_length(chosen) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_ALIAS),
				 errmsg("relprefetch: relationship \"%s\" of %s is ambiguous (in %s)",
						name, parent->relname, spec->context),
				 errdetail("It may be: %s.", rp_relations_hint(chosen, false)),
				 errhint("Choose one with \"via\", naming: %s.",
						 rp_relations_hint(chosen, true))));
	return (RpRelationship *) linitial(chosen);
}

static RpLink
rp_link_of(RpRelationKind kind)
{
	switch (kind)
	{
		case RP_RELATION_FORWARD:
			return RP_LINK_ONE;
		case RP_RELATION_REVERSE:
			return RP_LINK_MANY;
		case RP_RELATION_MANY_TO_MANY:
			return RP_LINK_MANY_TO_MANY;
	}
	return RP_LINK_ONE;
}

/*
 * Plan include index of parent: resolve it, plan its node, and write its
 * queries, keyed by the parent's columns.
 */
static void
rp_plan_include(RpFetchPlan *plan, RpNode *parent, int index, RpSpec *spec)
{
	RpRelationship *r = rp_plan_resolve(parent, spec);
	RpLink		link = rp_link_of(r->kind);
	RpConstraint *fk = r->fk;
	List	   *keys;
	List	   *body;
	RpNode	   *child;
	char	   *what;

	if (link == RP_LINK_ONE && (spec->order_by != NULL || spec->limit >= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relprefetch: %s gives one row, so \"order_by\" and \"limit\" do not apply",
						spec->context),
				 errdetail("It follows %s.", r->description)));

	child = rp_plan_node(plan, spec, r->target, link, &body);
	child->label = rp_json_label(spec->key ? spec->key : "", plan->cxt,
								 &child->labellen);
	parent->includes[index] = child;
	what = psprintf("%s (%s)", spec->context, r->description);

	/* the parent's side: the FK's own columns, or those it references */
	child->nparentcols = fk->nkeys;
	memcpy(child->parentcols,
		   link == RP_LINK_ONE ? fk->conkey : fk->confkey,
		   sizeof(AttrNumber) * fk->nkeys);

	if (link == RP_LINK_MANY_TO_MANY)
	{
		RpConstraint *tfk = r->target_fk;
		Oid			junction = fk->conrelid;
		List	   *select;

		rp_plan_add_relid(plan, junction);
		rp_key_pair(&child->link_key, fk->nkeys, parent->relid, fk->confkey,
					junction, fk->conkey, parent->relid, fk->confkey,
					plan->cxt);
		rp_key_pair(&child->key, tfk->nkeys, junction, tfk->conkey,
					r->target, tfk->confkey, r->target, tfk->confkey,
					plan->cxt);
		keys = rp_key_exprs(junction, fk->conkey, &child->link_key);
		select = list_concat(rp_aliased(keys, "key"),
							 rp_aliased(rp_key_exprs(junction, tfk->conkey,
													 &child->key), "target"));
		rp_write_query(&child->links, select, junction, NULL, NULL, keys,
					   &child->link_key, NULL, parent->relid, what);

		/* the targets, keyed like the junction's values */
		keys = rp_key_exprs(r->target, tfk->confkey, &child->key);
		rp_write_query(&child->query, list_concat(rp_aliased(keys, "key"), body),
					   r->target, spec->where, spec->order_by, keys,
					   &child->key, NULL, r->target, what);
		return;
	}

	if (link == RP_LINK_ONE)
		rp_key_pair(&child->key, fk->nkeys, parent->relid, fk->conkey,
					r->target, fk->confkey, r->target, fk->confkey, plan->cxt);
	else
		rp_key_pair(&child->key, fk->nkeys, parent->relid, fk->confkey,
					r->target, fk->conkey, parent->relid, fk->confkey,
					plan->cxt);
	keys = rp_key_exprs(r->target, link == RP_LINK_ONE ? fk->confkey : fk->conkey,
						&child->key);
	rp_write_query(&child->query, list_concat(rp_aliased(keys, "key"), body),
				   r->target, spec->where, spec->order_by, keys, &child->key,
				   NULL, link == RP_LINK_ONE ? r->target : parent->relid,
				   what);
}

/*
 * Plan the node that reads relid for spec: its payload and its includes.
 * Returns in *body the select list of the node's query after its key:
 * the payload, then the keys of its includes.
 */
static RpNode *
rp_plan_node(RpFetchPlan *plan, RpSpec *spec, Oid relid, RpLink link,
			 List **body)
{
	RpNode	   *node = palloc0(sizeof(RpNode));
	Relation	rel;
	ListCell   *lc;
	int			i;
	int			k;

	rel = relation_open(relid, AccessShareLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE &&
		rel->rd_rel->relkind != RELKIND_VIEW &&
		rel->rd_rel->relkind != RELKIND_MATVIEW &&
		rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relprefetch: \"%s\" is not a table, view or materialized view",
						RelationGetRelationName(rel))));
	rp_plan_add_relid(plan, relid);
	node->link = link;
	node->relid = relid;
	node->relname = rp_relation_qualified_name(relid);
	node->limit = spec->limit;
	node->typed = spec->typed;
	*body = NIL;
	if (spec->typed)
	{
		*body = lappend(*body,
						psprintf("(%s.*)::%s AS \"?row?\"",
								 quote_identifier(RelationGetRelationName(rel)),
								 format_type_be_qualified(rel->rd_rel->reltype)));
	}
	else
		rp_plan_columns(node, rel, spec, plan->cxt, body);
	relation_close(rel, NoLock);

	node->nincludes = list_length(spec->includes);
	node->includes = palloc0(sizeof(RpNode *) * Max(node->nincludes, 1));
	node->include_keyoff = palloc0(sizeof(int) * Max(node->nincludes, 1));
	foreach(lc, spec->includes)
		rp_plan_include(plan, node, foreach_current_index(lc),
						(RpSpec *) lfirst(lc));

	/* the node's rows carry the values its includes are looked up by */
	for (i = 0; i < node->nincludes; i++)
		node->nrowkeys += node->includes[i]->nparentcols;
	node->rowkey_typlen = palloc0(sizeof(int16) * Max(node->nrowkeys, 1));
	node->rowkey_typbyval = palloc0(sizeof(bool) * Max(node->nrowkeys, 1));
	k = 0;
	for (i = 0; i < node->nincludes; i++)
	{
		RpNode	   *child = node->includes[i];
		int			j;

		RpKeyType  *key = child->link == RP_LINK_MANY_TO_MANY ?
			&child->link_key : &child->key;

		node->include_keyoff[i] = k;
		for (j = 0; j < child->nparentcols; j++)
		{
			get_typlenbyval(key->typid[j], &node->rowkey_typlen[k],
							&node->rowkey_typbyval[k]);
			*body = lappend(*body,
							psprintf("%s AS \"?include%d?\"",
									 rp_column_as(relid, child->parentcols[j],
												  key->typid[j]),
									 k + 1));
			k++;
		}
	}
	return node;
}

/* ------------------------------------------------------------------------
 * Preparing, and the entry points
 * ------------------------------------------------------------------------
 */

static void
rp_prepare_error_context(void *arg)
{
	errcontext("relprefetch: preparing the query of %s", (const char *) arg);
}

static SPIPlanPtr
rp_prepare(const char *sql, const RpQuery *query, int nparams, int options)
{
	ErrorContextCallback callback;
	SPIPlanPtr	plan;

	callback.callback = rp_prepare_error_context;
	callback.arg = (void *) query->what;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	plan = SPI_prepare_cursor(sql, nparams, (Oid *) query->paramtypes,
							  options);
	error_context_stack = callback.previous;
	if (plan == NULL)
		elog(ERROR, "relprefetch: SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * The shape of the rows a prepared query returns.  PostgreSQL's plan cache
 * analyzes a query again when a table it reads changes, and a table altered
 * while a fetch runs (by a function called in a fragment) can give the same
 * text rows of other types: the fetch renders and hashes values by the
 * types it planned for, so each run checks its rows against these.
 */
static TupleDesc
rp_prepared_rows(SPIPlanPtr plan, MemoryContext cxt)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source = (CachedPlanSource *) linitial(sources);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleDesc	desc = CreateTupleDescCopy(source->resultDesc);

	MemoryContextSwitchTo(old);
	return desc;
}

void
rp_fetch_check_rows(const RpQuery *query, TupleDesc rows)
{
	TupleDesc	want = query->rowdesc;
	int			i;
	bool		same = rows->natts == want->natts;

	for (i = 0; same && i < rows->natts; i++)
		same = TupleDescAttr(rows, i)->atttypid ==
			TupleDescAttr(want, i)->atttypid;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("relprefetch: a table was altered while the fetch ran"),
				 errdetail("The query of %s no longer returns the columns it was planned for.",
						   query->what),
				 errhint("Run the fetch again.")));
}

static void
rp_prepare_query(RpQuery *query, MemoryContext cxt)
{
	if (query->sql_all == NULL)
		return;
	query->plan_all = rp_prepare(query->sql_all, query, 0, 0);
	query->rowdesc = rp_prepared_rows(query->plan_all, cxt);
	if (query->sql_keyed != NULL)
		query->plan_keyed = rp_prepare(query->sql_keyed, query,
									   query->nparams,
									   CURSOR_OPT_GENERIC_PLAN);
}

static void
rp_keep_query(RpQuery *query)
{
	if (query->plan_all != NULL)
		SPI_keepplan(query->plan_all);
	if (query->plan_keyed != NULL)
		SPI_keepplan(query->plan_keyed);
}

/*
 * Prepare every query of the tree, keep them all once all are prepared
 * (an error on the way leaves nothing kept), and put the plan in the cache.
 */
static void
rp_plan_finish(RpFetchPlan *plan)
{
	List	   *nodes = list_make1(plan->root);
	ListCell   *lc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "relprefetch: SPI_connect failed");
	foreach(lc, nodes)
	{
		RpNode	   *node = (RpNode *) lfirst(lc);
		int			i;

		rp_prepare_query(&node->links, plan->cxt);
		rp_prepare_query(&node->query, plan->cxt);
		for (i = 0; i < node->nincludes; i++)
			nodes = lappend(nodes, node->includes[i]);
	}
	foreach(lc, nodes)
	{
		RpNode	   *node = (RpNode *) lfirst(lc);

		rp_keep_query(&node->links);
		rp_keep_query(&node->query);
	}
	SPI_finish();
	MemoryContextSetParent(plan->cxt, CacheMemoryContext);
	if (rp_relation_generation == plan->invals)
		rp_plan_remember(plan);
	else
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		/* freed by rp_fetch_plan_release, or at the end of the transaction */
		rp_plan_watch_xact();
		plan->refcount = 1;
		plan->dead = true;
		rp_dead_plans = lappend(rp_dead_plans, plan);
		MemoryContextSwitchTo(old);
	}
}

static RpFetchPlan *
rp_plan_start(const char *cachekey, uint32 hash)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "relprefetch fetch plan",
											  ALLOCSET_SMALL_SIZES);
	RpFetchPlan *plan = MemoryContextAllocZero(cxt, sizeof(RpFetchPlan));

	/* relationships are read from pg_constraint */
	LockRelationOid(ConstraintRelationId, AccessShareLock);
	plan->cxt = cxt;
	plan->invals = rp_relation_generation;
	plan->cachekey = MemoryContextStrdup(cxt, cachekey);
	plan->hash = hash;
	return plan;
}

/* The table of a fetch_json call, checked */
static void
rp_check_relation(Oid relid)
{
	if (get_rel_name(relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relprefetch: relation with OID %u does not exist",
						relid)));
}

RpFetchPlan *
rp_fetch_plan_json(Oid relid, Jsonb *jspec)
{
	char	   *cachekey;
	uint32		hash;
	RpFetchPlan *plan;
	RpSpec	   *spec;
	MemoryContext old;
	List	   *body;
	char	   *tail = NULL;

	cachekey = psprintf("J%c%u:%s", rp_strings_mode(), relid,
						JsonbToCString(NULL, &jspec->root, VARSIZE(jspec)));
	hash = hash_bytes((const unsigned char *) cachekey, strlen(cachekey));
	if ((plan = rp_plan_lookup(cachekey, hash)) != NULL)
		return plan;

	rp_check_relation(relid);
	if (!JB_ROOT_IS_OBJECT(jspec))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relprefetch: the spec must be a JSON object"),
				 errhint("For example '{\"include\": [\"author\"]}'.")));
	spec = rp_spec_new("the spec");
	rp_spec_read(spec, &jspec->root, true, 0);

	plan = rp_plan_start(cachekey, hash);
	old = MemoryContextSwitchTo(plan->cxt);
	plan->root = rp_plan_node(plan, spec, relid, RP_LINK_ROOT, &body);
	if (spec->limit >= 0 || spec->offset > 0)
		tail = psprintf(" LIMIT %s OFFSET " INT64_FORMAT,
						spec->limit >= 0 ? psprintf(INT64_FORMAT, spec->limit) : "ALL",
						spec->offset);
	rp_write_query(&plan->root->query, body, relid, spec->where,
				   spec->order_by, NIL, NULL, tail, relid,
				   psprintf("the rows of %s", plan->root->relname));
	MemoryContextSwitchTo(old);
	rp_plan_finish(plan);
	return plan;
}

/* The table whose row type typid is, or an error naming the argument */
static Oid
rp_row_type_relation(Oid typid, const char *argname)
{
	Oid			relid = get_typ_typrelid(typid);
	char		relkind = OidIsValid(relid) ? get_rel_relkind(relid) : '\0';

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("relprefetch: %s must be of a table's row type, not %s",
						argname, format_type_be(typid)),
				 errhint("Pass the types as NULL::parent_table and NULL::child_table[].")));
	return relid;
}

static void
rp_key_append(StringInfo key, const char *value)
{
	if (value == NULL)
		appendStringInfoString(key, "-|");
	else
		appendStringInfo(key, "%zu:%s|", strlen(value), value);
}

RpFetchPlan *
rp_fetch_plan_children(const RpChildrenArgs *args)
{
	StringInfoData cachekey;
	uint32		hash;
	RpFetchPlan *plan;
	RpSpec	   *parent;
	RpSpec	   *child;
	Oid			parent_rel;
	Oid			child_rel;
	Oid			elemtype;
	MemoryContext old;
	List	   *body;

	initStringInfo(&cachekey);
	appendStringInfo(&cachekey, "C%c%u:%u:" INT64_FORMAT "|", rp_strings_mode(),
					 args->parent_type, args->child_type, args->child_limit);
	rp_key_append(&cachekey, args->via);
	rp_key_append(&cachekey, args->parent_where);
	rp_key_append(&cachekey, args->child_where);
	rp_key_append(&cachekey, args->child_order_by);
	hash = hash_bytes((const unsigned char *) cachekey.data, cachekey.len);
	if ((plan = rp_plan_lookup(cachekey.data, hash)) != NULL)
		return plan;

	parent_rel = rp_row_type_relation(args->parent_type, "parent");
	elemtype = get_element_type(args->child_type);
	if (!OidIsValid(elemtype))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("relprefetch: children must be an array of a table's row type, not %s",
						format_type_be(args->child_type)),
				 errhint("Pass the types as NULL::parent_table and NULL::child_table[].")));
	child_rel = rp_row_type_relation(elemtype, "the elements of children");
	if (args->child_limit < -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
				 errmsg("relprefetch: child_limit must not be negative")));

	parent = rp_spec_new("the parent rows");
	parent->typed = true;
	parent->where = (char *) args->parent_where;
	if (parent->where)
		rp_check_fragment(parent->where, RP_FRAGMENT_WHERE, "parent_where",
						  "fetch_children");
	child = rp_spec_new("the children");
	child->typed = true;
	child->only_target = child_rel;
	child->via = (char *) args->via;
	child->where = (char *) args->child_where;
	child->order_by = (char *) args->child_order_by;
	child->limit = args->child_limit;
	if (child->where)
		rp_check_fragment(child->where, RP_FRAGMENT_WHERE, "child_where",
						  "fetch_children");
	if (child->order_by)
		rp_check_fragment(child->order_by, RP_FRAGMENT_ORDER_BY,
						  "child_order_by", "fetch_children");
	parent->includes = list_make1(child);

	plan = rp_plan_start(cachekey.data, hash);
	old = MemoryContextSwitchTo(plan->cxt);
	plan->root = rp_plan_node(plan, parent, parent_rel, RP_LINK_ROOT, &body);
	rp_write_query(&plan->root->query, body, parent_rel, parent->where,
				   NULL, NIL, NULL, NULL, parent_rel,
				   psprintf("the rows of %s", plan->root->relname));
	plan->child_elemtype = elemtype;
	get_typlenbyvalalign(elemtype, &plan->child_typlen,
						 &plan->child_typbyval, &plan->child_typalign);
	MemoryContextSwitchTo(old);
	rp_plan_finish(plan);
	return plan;
}
