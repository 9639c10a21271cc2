/*-------------------------------------------------------------------------
 *
 * rp_fetch_plan.c
 *	  Planning a fetch: from what was asked (RpSpec) to a tree of prepared
 *	  queries (RpFetchPlan).
 *
 * Planning a fetch:
 *	1. Read what was asked (rp_fetch_spec.c), or find the plan in the cache
 *	   (rp_fetch_cache.c).
 *	2. For each include, ask the relationship model which relationship it
 *	   names, and plan its node: the columns it renders, the key its rows
 *	   are grouped by (rp_fetch_keys.c), its includes.
 *	3. Write each node's queries (rp_fetch_sql.c).
 *	4. Prepare one form of each query (the keyed one when it has one) and
 *	   keep them (SPI_keepplan), and hand the plan to the cache.  A
 *	   query's other form is prepared when a run first needs it.
 * Errors raised while an include is planned have its place in the spec
 * as their context.
 *
 * The planner goes by a relationship's properties (to_one, junction, the
 * columns matched on each side), never by its kind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_constraint.h"
#include "common/hashfn.h"
#include "nodes/nodeFuncs.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#include "rp_citus.h"
#include "rp_fetch.h"

/* A plan's list of tables grows by this many */
#define RP_PLAN_RELIDS_CHUNK	8

static RpNode *rp_plan_node(RpFetchPlan *plan, RpSpec *spec, Oid relid,
							List **body, char **where, List **keys);

/* ------------------------------------------------------------------------
 * Planning nodes
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

/*
 * The columns a node renders: those the spec names, or all.  Returns the
 * object's keys they give (their output names).
 */
static List *
rp_plan_columns(RpNode *node, Relation rel, RpSpec *spec, MemoryContext cxt,
				List **sql)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *names = NIL;
	List	   *aliases;
	ListCell   *lc;
	ListCell   *la;
	int			i;

	if (spec->all_columns)
	{
		for (i = 0; i < desc->natts; i++)
		{
			if (!TupleDescAttr(desc, i)->attisdropped)
				names = lappend(names, NameStr(TupleDescAttr(desc, i)->attname));
		}
		aliases = names;
	}
	else
	{
		names = spec->columns;
		aliases = spec->aliases;
	}

	node->ncolumns = list_length(names);
	node->columns = MemoryContextAllocZero(cxt, sizeof(RpJsonColumn) *
										   Max(node->ncolumns, 1));
	i = 0;
	forboth(lc, names, la, aliases)
	{
		char	   *name = (char *) lfirst(lc);
		char	   *alias = (char *) lfirst(la);
		AttrNumber	attnum = get_attnum(node->relid, name);
		ListCell   *lc2;
		ListCell   *la2;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of %s does not exist",
							name, node->relname),
					 errhint("Its columns are: %s.", rp_column_names(rel))));
		forboth(lc2, names, la2, aliases)
		{
			if (lc2 == lc)
				break;
			if (strcmp((char *) lfirst(la2), alias) != 0)
				continue;
			if (alias == name && lfirst(la2) == lfirst(lc2))
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" is listed twice in %s",
								name, spec->context)));
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("output key \"%s\" is given to two columns in %s",
							alias, spec->context),
					 errhint("Rename one of them: \"columns\": [{\"%s_2\": \"%s\"}].",
							 alias, name)));
		}
		rp_json_column_init(&node->columns[i++],
							TupleDescAttr(desc, attnum - 1)->atttypid,
							alias, cxt);
		*sql = lappend(*sql, rp_sql_column(name));
	}

	/* an object cannot have two keys of the same name */
	foreach(lc, spec->includes)
	{
		RpSpec	   *include = (RpSpec *) lfirst(lc);

		if (rp_relation_name_matches(aliases, include->key))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("%s has the name of a column of %s",
							include->context, node->relname),
					 errhint("Put it under another key, with the relationship in \"path\": {\"include\": {\"%s_obj\": {\"path\": \"%s\"}}}.",
							 include->key, include->path)));
	}
	return list_copy(aliases);
}

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
		palloc(sizeof(Oid) * RP_PLAN_RELIDS_CHUNK) :
		repalloc(plan->relids,
				 sizeof(Oid) * (plan->nrelids + RP_PLAN_RELIDS_CHUNK));
	plan->relids[plan->nrelids++] = relid;
}

/* Where planning is, for the context of any error raised meanwhile */
static void
rp_plan_error_context(void *arg)
{
	errcontext("planning %s", ((const RpSpec *) arg)->context);
}

/*
 * A relationship of relid that "order" names, at step of its path: one
 * giving one row, not through a junction.  Without a "via" written ("!"),
 * a name that is the key of an include of *at (the spec of relid's rows,
 * or NULL) means that include's relationship, chosen with its "via"; *at
 * becomes that include (or NULL), whose includes the next step looks in.
 */
static RpRelationship *
rp_plan_order_step(const RpSpec *spec, const RpOrderItem *item, Oid relid,
				   int step, const RpSpec **at)
{
	const char *name = (const char *) list_nth(item->path, step);
	const char *via = (const char *) list_nth(item->vias, step);
	const RpSpec *include = NULL;
	RpRelationship *r;
	ListCell   *lc;

	if (via == NULL && *at != NULL)
	{
		foreach(lc, (*at)->includes)
		{
			RpSpec	   *child = (RpSpec *) lfirst(lc);

			if (strcmp(child->key, name) == 0)
				include = child;
		}
	}
	*at = include;
	if (include != NULL)
	{
		name = include->path;
		via = include->via;
	}
	r = rp_relation_resolve(relid, name, InvalidOid, via);

	if (!r->to_one || r->junction)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"order\" of %s follows \"%s\", which gives several rows",
						spec->context, name),
				 errdetail("\"%s\" follows %s; \"order\" may follow only relationships that give one row.",
						   item->text, r->description)));
	return r;
}

/*
 * The value an item of "order" sorts by, as SQL over the rows of relid
 * (read as qualifier, or unqualified when NULL): its column, or the
 * column of the related row its path leads to, read through a join that
 * shows it under the name as, appended to *joins
 */
static char *
rp_plan_order_value(RpFetchPlan *plan, const RpSpec *spec,
					const RpOrderItem *item, Oid relid, int step,
					const RpSpec *at, const char *qualifier, const char *as,
					StringInfo joins)
{
	StringInfoData inner;
	RpRelationship *r;
	RpKeyType	key;
	char	   *table;
	char	   *value;

	if (step == list_length(item->path))
	{
		if (get_attnum(relid, item->column) <= 0)
		{
			Relation	rel = relation_open(relid, AccessShareLock);
			char	   *names = rp_column_names(rel);

			relation_close(rel, AccessShareLock);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of %s does not exist",
							item->column, rp_relation_qualified_name(relid)),
					 errdetail("\"order\" of %s names it in \"%s\".",
							   spec->context, item->text),
					 errhint("Its columns are: %s.", names)));
		}
		return rp_sql_column_ref(qualifier, item->column);
	}
	r = rp_plan_order_step(spec, item, relid, step, &at);
	rp_plan_add_relid(plan, r->keyed_rel);
	table = psprintf("?t%d?", step + 1);
	initStringInfo(&inner);
	value = rp_plan_order_value(plan, spec, item, r->keyed_rel, step + 1, at,
								table, psprintf("?v%d?", step + 1), &inner);
	memset(&key, 0, sizeof(key));
	rp_key_pair(&key, r->nkeys, relid, r->source_cols, r->keyed_rel,
				r->keyed_cols, r->fk->confrelid, r->fk->confkey,
				CurrentMemoryContext);
	appendStringInfoString(joins,
						   rp_sql_related_join(r->keyed_rel, table,
											   rp_sql_outer_key_values(r->keyed_rel,
																	   r->keyed_cols,
																	   &key, table),
											   value, inner.data,
											   rp_sql_outer_key_values(relid,
																	   r->source_cols,
																	   &key,
																	   qualifier),
											   &key, as));
	return rp_sql_related_ref(as);
}

static void
rp_plan_order_error_context(void *arg)
{
	errcontext("\"order\" of %s", ((const RpSpec *) arg)->context);
}

/*
 * The ORDER BY list of a node over relid: "order", or "order_by"; in
 * *joins the joins "order" needs after the table (NULL for none)
 */
static char *
rp_plan_order(RpFetchPlan *plan, const RpSpec *spec, Oid relid, char **joins)
{
	List	   *items = NIL;
	ListCell   *lc;
	StringInfoData buf;
	ErrorContextCallback callback;

	*joins = NULL;
	if (spec->order == NIL)
		return spec->order_by;
	callback.callback = rp_plan_order_error_context;
	callback.arg = (void *) spec;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	initStringInfo(&buf);
	foreach(lc, spec->order)
	{
		RpOrderItem *item = (RpOrderItem *) lfirst(lc);
		char	   *as = psprintf("?order%d?", foreach_current_index(lc) + 1);

		/* a name the query's fragments cannot mean as a column */
		while (get_attnum(relid, as) != InvalidAttrNumber)
			as = psprintf("?%s", as);
		items = lappend(items,
						rp_sql_order_item(rp_plan_order_value(plan, spec, item,
															  relid, 0, spec,
															  NULL, as, &buf),
										  item->desc, item->nulls));
	}
	error_context_stack = callback.previous;
	if (buf.len > 0)
		*joins = buf.data;
	return rp_sql_order_list(items);
}

/*
 * A to-many spread's rows are written key by key (rp_fetch_output.c): it,
 * and the spreads in it, keep where their columns end
 */
static void
rp_plan_columnar(RpNode *node)
{
	int			i;

	node->columnar = true;
	for (i = 0; i < node->nincludes; i++)
	{
		if (node->includes[i]->spread)
			rp_plan_columnar(node->includes[i]);
	}
}

/*
 * Are all rows of relid whose columns cols equal a key in one shard of a
 * Citus table (rp_citus_key_in_one_shard)?  Only when the key compares
 * those columns as they are, without a cast or a collation, so that
 * Citus's hash of the column groups them as the key does.
 */
static bool
rp_plan_key_in_one_shard(Oid relid, const AttrNumber *cols,
						 const RpKeyType *key)
{
	int			i;

	if (!rp_citus_table(relid))
		return false;
	for (i = 0; i < key->nkeys; i++)
	{
		if (rp_column_type(relid, cols[i]) != key->typid[i] ||
			OidIsValid(key->collation[i]))
			return false;
	}
	return rp_citus_key_in_one_shard(relid, cols, key->nkeys);
}

/*
 * Plan include index of parent: resolve it, plan its node, and write its
 * queries, keyed by the parent's columns.  Returns, for an inner include,
 * its condition on the parent's rows (NULL otherwise), and in *keys the
 * keys it gives the parent's object.
 */
static char *
rp_plan_include(RpFetchPlan *plan, RpNode *parent, int index, RpSpec *spec,
				List **keys)
{
	RpRelationship *r;
	RpConstraint *fk;
	RpKeyType  *parent_key;
	List	   *keyvals;
	List	   *parentvals;
	List	   *body;
	RpNode	   *child;
	char	   *what;
	char	   *where;
	char	   *order_by;
	char	   *joins;
	char	   *inner = NULL;
	bool		in_one_shard;
	ErrorContextCallback callback;

	callback.callback = rp_plan_error_context;
	callback.arg = spec;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

	r = rp_relation_resolve(parent->relid, spec->path, spec->only_target,
							spec->via);
	fk = r->fk;
	if (r->to_one && !spec->typed &&
		(spec->order_by != NULL || spec->order != NIL || spec->limit >= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s gives one row, so \"order_by\", \"order\" and \"limit\" do not apply",
						spec->context),
				 errdetail("It follows %s.", r->description)));
	child = rp_plan_node(plan, spec, r->target, &body, &where, keys);
	/* fetch_children gives arrays, of one row or none for a one-to-one */
	child->to_one = r->to_one && !spec->typed;
	child->spread = spec->spread;
	if (spec->spread && !child->to_one)
		rp_plan_columnar(child);
	child->junction = r->junction;
	child->label = rp_json_label(spec->key ? spec->key : "", plan->cxt,
								 &child->labellen);
	if (!spec->spread)
		*keys = list_make1(spec->key);
	parent->includes[index] = child;
	what = psprintf("%s (%s)", spec->context, r->description);
	order_by = rp_plan_order(plan, spec, r->target, &joins);

	/*
	 * The parent's columns equal the keyed table's (the target, or the
	 * junction), compared as the foreign key compares them; the size of the
	 * table the foreign key references decides the query's form.
	 */
	child->nparentcols = r->nkeys;
	memcpy(child->parentcols, r->source_cols, sizeof(AttrNumber) * r->nkeys);
	parent_key = rp_node_parent_key(child);
	rp_key_pair(parent_key, r->nkeys, parent->relid, r->source_cols,
				r->keyed_rel, r->keyed_cols, fk->confrelid, fk->confkey,
				plan->cxt);
	keyvals = rp_sql_key_values(r->keyed_rel, r->keyed_cols, parent_key);
	parentvals = rp_sql_outer_key_values(parent->relid, r->source_cols,
										 parent_key, NULL);

	if (r->junction)
	{
		RpConstraint *tfk = r->target_fk;
		List	   *select;
		List	   *targetvals;
		char	   *target_inner = NULL;

		rp_plan_add_relid(plan, r->keyed_rel);
		rp_key_pair(&child->key, tfk->nkeys, r->keyed_rel, tfk->conkey,
					r->target, r->target_cols, r->target, r->target_cols,
					plan->cxt);
		select = list_concat(rp_sql_aliased(keyvals, "key"),
							 rp_sql_key_columns(r->keyed_rel, tfk->conkey,
												&child->key, "target"));
		rp_sql_write_query(&child->links, select, r->keyed_rel, NULL, NULL,
						   keyvals, parent_key, NULL, fk->confrelid, what);

		/* the targets, keyed like the junction's values */
		targetvals = rp_sql_key_values(r->target, r->target_cols, &child->key);
		if (spec->inner)
			target_inner = rp_sql_inner(r->target, targetvals, where,
										rp_sql_outer_key_values(r->keyed_rel,
																tfk->conkey,
																&child->key,
																NULL),
										&child->key, -1);
		if (spec->inner)
			inner = rp_sql_inner(r->keyed_rel, keyvals, target_inner,
								 parentvals, parent_key, spec->limit);
		keyvals = targetvals;
		fk = tfk;
	}
	else if (spec->inner)
		inner = rp_sql_inner(r->target, keyvals, where, parentvals,
							 &child->key, spec->limit);

	/*
	 * Rows are put in order after the query where they can be: it sorts none.
	 * Not where Citus keeps each key's rows in one shard: there the whole
	 * table's read is sorted in the shards, each reading in order from an
	 * index on the key, which measured cheaper on the coordinator than taking
	 * the order's columns as well and putting groups in order.  (Not with
	 * joins for "order": Citus may not send those whole to a shard.)
	 */
	in_one_shard = order_by != NULL && joins == NULL && !r->junction &&
		rp_key_sortable(&child->key) &&
		rp_plan_key_in_one_shard(r->keyed_rel, r->keyed_cols, &child->key);
	if (order_by != NULL && joins == NULL && !in_one_shard &&
		rp_sort_plan(child, spec, r->target, &body))
		order_by = NULL;

	/*
	 * Rows that go to their parents' groups by key are sorted by key first
	 * (an incremental sort from an index on it, not one sort of the whole
	 * batch).  A many-to-many's targets are not: their order of arrival is
	 * the order of each parent's links.
	 */
	if (order_by != NULL && !r->junction && rp_key_sortable(&child->key))
	{
		order_by = rp_sql_grouped_order(child->key.nkeys, order_by);
		child->query.key_sorted = true;
	}
	rp_sql_write_joined(&child->query,
						list_concat(rp_sql_aliased(keyvals, "key"), body),
						r->target, joins, where, order_by, keyvals,
						&child->key, NULL, fk->confrelid, what);
	if (in_one_shard)
		rp_sql_sort_in_shards(&child->query);

	error_context_stack = callback.previous;
	return inner;
}

/*
 * The keys include spec (which gives keys) adds to an object that has
 * keys already; an error if one is there
 */
static List *
rp_plan_add_keys(List *keys, List *more, const RpSpec *spec)
{
	ListCell   *lc;

	foreach(lc, more)
	{
		char	   *key = (char *) lfirst(lc);

		if (rp_relation_name_matches(keys, key))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("%s brings key \"%s\" into an object that has it already",
							spec->context, key),
					 errhint("Rename one of them, with {\"%s_2\": \"column\"} in \"columns\" or another key for the include.",
							 key)));
		keys = lappend(keys, key);
	}
	return keys;
}

/*
 * Plan the node that reads relid for spec: its payload and its includes.
 * Returns in *body the select list of the node's query after its key:
 * the payload, then the keys of its includes; in *where the WHERE of its
 * query (the spec's, and the conditions of its inner includes); in *keys
 * the keys of its object.
 */
static RpNode *
rp_plan_node(RpFetchPlan *plan, RpSpec *spec, Oid relid, List **body,
			 char **where, List **keys)
{
	RpNode	   *node = palloc0(sizeof(RpNode));
	Relation	rel;
	ListCell   *lc;
	List	   *conds = NIL;
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
				 errmsg("\"%s\" is not a table, view or materialized view",
						RelationGetRelationName(rel))));
	rp_plan_add_relid(plan, relid);
	node->relid = relid;
	node->relname = rp_relation_qualified_name(relid);
	node->limit = spec->limit;
	node->typed = spec->typed;
	*body = NIL;
	*keys = NIL;
	if (spec->typed)
		*body = lappend(*body, rp_sql_whole_row(rel));
	else
		*keys = rp_plan_columns(node, rel, spec, plan->cxt, body);
	relation_close(rel, NoLock);

	node->nincludes = list_length(spec->includes);
	node->includes = palloc0(sizeof(RpNode *) * Max(node->nincludes, 1));
	node->include_keyoff = palloc0(sizeof(int) * Max(node->nincludes, 1));
	foreach(lc, spec->includes)
	{
		RpSpec	   *include = (RpSpec *) lfirst(lc);
		List	   *more;
		char	   *inner = rp_plan_include(plan, node,
											foreach_current_index(lc),
											include, &more);

		if (inner != NULL)
			conds = lappend(conds, inner);
		*keys = rp_plan_add_keys(*keys, more, include);
	}
	*where = rp_sql_and(spec->where, conds);

	/* the node's rows carry the values its includes are looked up by */
	for (i = 0; i < node->nincludes; i++)
		node->nrowkeys += node->includes[i]->nparentcols;
	node->rowkey_typlen = palloc0(sizeof(int16) * Max(node->nrowkeys, 1));
	node->rowkey_typbyval = palloc0(sizeof(bool) * Max(node->nrowkeys, 1));
	k = 0;
	for (i = 0; i < node->nincludes; i++)
	{
		RpNode	   *child = node->includes[i];
		RpKeyType  *key = rp_node_parent_key(child);
		int			j;

		node->include_keyoff[i] = k;
		for (j = 0; j < child->nparentcols; j++)
		{
			get_typlenbyval(key->typid[j], &node->rowkey_typlen[k],
							&node->rowkey_typbyval[k]);
			*body = lappend(*body,
							rp_sql_include_key(relid, child->parentcols[j],
											   key->typid[j], k + 1));
			k++;
		}
	}
	return node;
}

/* The root node, which reads the parent rows */
static RpNode *
rp_plan_root(RpFetchPlan *plan, RpSpec *spec, Oid relid, List **body,
			 char **where)
{
	List	   *keys;
	RpNode	   *root = rp_plan_node(plan, spec, relid, body, where, &keys);

	root->root = true;
	return root;
}

/* ------------------------------------------------------------------------
 * Preparing, and the entry points
 * ------------------------------------------------------------------------
 */

static void
rp_prepare_error_context(void *arg)
{
	errcontext("preparing the query of %s", (const char *) arg);
}

static SPIPlanPtr
rp_prepare(const char *sql, const RpQuery *query, int nparams,
		   const Oid *paramtypes, int options)
{
	ErrorContextCallback callback;
	SPIPlanPtr	plan;

	callback.callback = rp_prepare_error_context;
	callback.arg = (void *) query->what;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	plan = SPI_prepare_cursor(sql, nparams, (Oid *) paramtypes, options);
	error_context_stack = callback.previous;
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s",
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
				 errmsg("a table was altered while the fetch ran"),
				 errdetail("The query of %s no longer returns the columns it was planned for.",
						   query->what),
				 errhint("Run the fetch again.")));
}

/*
 * Prepare query's form.  The keyed and range queries' plans are the same
 * for any keys, but Citus cannot plan "= ANY($1)" on its tables without
 * the keys' values: there, a custom plan per run, which also sends the
 * query only to the shards that hold the keys.  (The range form is not
 * run on Citus tables.)
 */
static SPIPlanPtr
rp_prepare_form(RpQuery *query, RpQueryForm form)
{
	SPIPlanPtr	plan;

	if (form == RP_FORM_KEYED)
		plan = rp_prepare(query->sql_keyed, query, query->nparams,
						  query->paramtypes,
						  rp_citus_table(query->sized_by) ?
						  CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);
	else if (form == RP_FORM_RANGE)
		plan = rp_prepare(query->sql_range, query, 2, query->rangetypes,
						  CURSOR_OPT_GENERIC_PLAN);
	else
		plan = rp_prepare(query->sql_all, query, 0, NULL, 0);
	return plan;
}

/* Count the parameters node refers to into count */
static bool
rp_count_params(Node *node, int *count)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN)
		(*count)++;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, rp_count_params, count, 0);
	return expression_tree_walker(node, rp_count_params, count);
}

/*
 * Parameters a prepared query refers to, counted over its statements as
 * analyzed
 */
static int
rp_prepared_params(SPIPlanPtr plan)
{
	int			count = 0;
	ListCell   *lc;

	foreach(lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *source = (CachedPlanSource *) lfirst(lc);

		(void) rp_count_params((Node *) source->query_list, &count);
	}
	return count;
}

/*
 * Prepare one form of query when the fetch is planned: the keyed one when
 * there is one, else the other.  Its rows are the query's, and preparing
 * it checks the fragments of the spec in it (the other form holds the same
 * ones), so that a wrong column in an include's "where" is an error even
 * when no row reaches that include.  The other form is prepared when a
 * run first needs it (rp_fetch_query_plan): a page of a few parents only
 * ever runs the keyed forms, and a new session's first call then pays for
 * preparing half the queries.
 */
static void
rp_prepare_query(RpQuery *query, MemoryContext cxt)
{
	SPIPlanPtr	plan;

	if (query->sql_all == NULL)
		return;
	if (query->sql_keyed != NULL)
	{
		plan = query->plan_keyed = rp_prepare_form(query, RP_FORM_KEYED);

		/*
		 * The keyed form refers to each of its parameters once.  More means
		 * that a fragment of the spec refers to one ($1), which the other
		 * form, without parameters, reports as the error it is.
		 */
		if (rp_prepared_params(plan) != query->nparams)
			query->plan_all = rp_prepare_form(query, RP_FORM_ALL);
	}
	else
		plan = query->plan_all = rp_prepare_form(query, RP_FORM_ALL);
	query->rowdesc = rp_prepared_rows(plan, cxt);
}

/*
 * The plan of query's form, prepared and kept the first time a run needs
 * it.  Called with SPI connected.
 */
SPIPlanPtr
rp_fetch_query_plan(RpQuery *query, RpQueryForm form)
{
	SPIPlanPtr *plan = form == RP_FORM_KEYED ? &query->plan_keyed :
	form == RP_FORM_RANGE ? &query->plan_range : &query->plan_all;

	if (*plan == NULL)
	{
		SPIPlanPtr	prepared = rp_prepare_form(query, form);

		SPI_keepplan(prepared);
		*plan = prepared;
	}
	return *plan;
}

static void
rp_keep_query(RpQuery *query)
{
	if (query->plan_all != NULL)
		SPI_keepplan(query->plan_all);
	if (query->plan_keyed != NULL)
		SPI_keepplan(query->plan_keyed);
	if (query->plan_range != NULL)
		SPI_keepplan(query->plan_range);
}

/*
 * Prepare a form of every query of the tree (rp_prepare_query), keep them
 * all once all are prepared (an error on the way leaves nothing kept), and
 * put the plan in the cache.
 */
static void
rp_plan_finish(RpFetchPlan *plan)
{
	List	   *nodes = list_make1(plan->root);
	ListCell   *lc;

	rp_relation_memo_end();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
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
	rp_fetch_cache_add(plan);
}

/*
 * A plan's memory context takes blocks of 2 kB, then 4 kB, then 8 kB (a
 * plan is some 60 kB).  Not ALLOCSET_SMALL_SIZES: PostgreSQL keeps freed
 * contexts of the standard small (and default) sizes and hands them to the
 * next context created with the same initial size, and a context reused so
 * keeps the largest chunk size of the one it was made for (8 kB for the
 * plan cache's contexts, 1 kB for a small one).  The size of each plan
 * would then depend on which context was freed last, a block more or less,
 * and the cache's total would wander by some 200 kB from call to call (as
 * it did on PostgreSQL 18 in t/014_memory.pl).  No standard pair of sizes,
 * no reuse: every plan of the same spec takes the same memory.
 */
#define RP_PLAN_CXT_SIZES	0, 2 * 1024, 8 * 1024

static RpFetchPlan *
rp_plan_start(const char *cachekey, uint32 hash)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "relprefetch fetch plan",
											  RP_PLAN_CXT_SIZES);
	RpFetchPlan *plan = MemoryContextAllocZero(cxt, sizeof(RpFetchPlan));

	/* relationships are read from pg_constraint, each table's once */
	LockRelationOid(ConstraintRelationId, AccessShareLock);
	rp_relation_memo_begin();
	plan->cxt = cxt;
	rp_fetch_cache_begin(plan);
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
				 errmsg("relation with OID %u does not exist",
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
	char	   *where;
	char	   *order_by;
	char	   *joins;

	cachekey = psprintf("J%c%u:%s", rp_fetch_cache_strings_mode(), relid,
						JsonbToCString(NULL, &jspec->root, VARSIZE(jspec)));
	hash = hash_bytes((const unsigned char *) cachekey, strlen(cachekey));
	if ((plan = rp_fetch_cache_lookup(cachekey, hash)) != NULL)
		return plan;

	rp_check_relation(relid);
	spec = rp_spec_from_json(jspec);

	plan = rp_plan_start(cachekey, hash);
	old = MemoryContextSwitchTo(plan->cxt);
	plan->root = rp_plan_root(plan, spec, relid, &body, &where);
	order_by = rp_plan_order(plan, spec, relid, &joins);
	rp_sql_write_joined(&plan->root->query, body, relid, joins, where,
						order_by, NIL, NULL,
						rp_sql_limit(spec->limit, spec->offset), relid,
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
				 errmsg("%s must be of a table's row type, not %s",
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
	Oid			parent_rel;
	Oid			child_rel;
	Oid			elemtype;
	MemoryContext old;
	List	   *body;
	char	   *where;

	initStringInfo(&cachekey);
	appendStringInfo(&cachekey, "C%c%u:%u:" INT64_FORMAT "|",
					 rp_fetch_cache_strings_mode(), args->parent_type,
					 args->child_type, args->child_limit);
	rp_key_append(&cachekey, args->via);
	rp_key_append(&cachekey, args->parent_where);
	rp_key_append(&cachekey, args->child_where);
	rp_key_append(&cachekey, args->child_order_by);
	hash = hash_bytes((const unsigned char *) cachekey.data, cachekey.len);
	if ((plan = rp_fetch_cache_lookup(cachekey.data, hash)) != NULL)
		return plan;

	parent_rel = rp_row_type_relation(args->parent_type, "parent");
	elemtype = get_element_type(args->child_type);
	if (!OidIsValid(elemtype))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("children must be an array of a table's row type, not %s",
						format_type_be(args->child_type)),
				 errhint("Pass the types as NULL::parent_table and NULL::child_table[].")));
	child_rel = rp_row_type_relation(elemtype, "the elements of children");
	parent = rp_spec_from_children(args, child_rel);

	plan = rp_plan_start(cachekey.data, hash);
	old = MemoryContextSwitchTo(plan->cxt);
	plan->root = rp_plan_root(plan, parent, parent_rel, &body, &where);
	rp_sql_write_query(&plan->root->query, body, parent_rel, where,
					   NULL, NIL, NULL, NULL, parent_rel,
					   psprintf("the rows of %s", plan->root->relname));
	plan->child_elemtype = elemtype;
	get_typlenbyvalalign(elemtype, &plan->child_typlen,
						 &plan->child_typbyval, &plan->child_typalign);
	MemoryContextSwitchTo(old);
	rp_plan_finish(plan);
	return plan;
}
