/*-------------------------------------------------------------------------
 *
 * rp_catalog.c
 *	  Relationships between tables, read from the system catalogs.
 *
 * A repeated statement is described in three steps:
 *	1. From its plan, collect the "key lookups": columns of a scanned
 *	   relation compared for equality with a constant or a parameter (the
 *	   values that change from one execution of the loop to the next).
 *	   Join conditions compare with other columns and do not count.
 *	2. Match the looked-up columns against the relation's keys and foreign
 *	   keys: a lookup by primary or unique key that some foreign key
 *	   references is a forward foreign key ("post.author"); a lookup by the
 *	   columns of a foreign key of the relation is a reverse one
 *	   ("post.comments"); when that relation is a junction table (two
 *	   foreign keys whose columns make up a primary or unique key), it is a
 *	   many-to-many relationship ("post.tags").
 *	3. Phrase a suggestion naming the foreign key and the way to fetch the
 *	   same rows in one statement.
 *
 * Catalog rows are read directly (no SPI), so nothing here is executed as a
 * query or counted by the executor hooks.  Everything allocated lives in a
 * memory context deleted before returning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_constraint.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "storage/lmgr.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "rp_catalog.h"
#include "rp_relationship.h"

/*
 * Descriptions already made, so that a loop detected again in every unit
 * of work (every transaction of a request, say) is not described from the
 * catalogs each time: a small direct-mapped cache per backend, keyed by the
 * repeated shape, the shape before the loop and the first relation the
 * plan reads (the same text can mean another table under another
 * search_path), and emptied by any change to relations or constraints
 * (rp_relation_generation).
 */
#define RP_DESCRIPTION_SLOTS	64

typedef struct RpDescription
{
	uint64		generation;		/* rp_relation_generation + 1; 0: empty */
	uint64		fingerprint;
	uint64		source_fingerprint;
	Oid			first_relid;
	Oid			relid;
	char		relation[RP_RELATION_LEN];
	char		foreign_key[NAMEDATALEN];
	char		suggestion[RP_SUGGESTION_LEN];
} RpDescription;

static RpDescription *rp_descriptions = NULL;

static Oid
rp_first_relid(PlannedStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind == RTE_RELATION)
			return rte->relid;
	}
	return InvalidOid;
}

static RpDescription *
rp_description_slot(PlannedStmt *stmt, uint64 fingerprint,
					uint64 source_fingerprint)
{
	uint64		h = fingerprint ^ (source_fingerprint * 0x9e3779b97f4a7c15ULL);

	if (rp_descriptions == NULL)
		rp_descriptions = MemoryContextAllocZero(TopMemoryContext,
												 sizeof(RpDescription) *
												 RP_DESCRIPTION_SLOTS);
	return &rp_descriptions[(h ^ (h >> 32)) % RP_DESCRIPTION_SLOTS];
}

static void
rp_description_get(const RpDescription *d, RpRepeatInfo *info)
{
	info->relid = d->relid;
	strlcpy(info->relation, d->relation, sizeof(info->relation));
	strlcpy(info->foreign_key, d->foreign_key, sizeof(info->foreign_key));
	strlcpy(info->suggestion, d->suggestion, sizeof(info->suggestion));
}

static void
rp_description_put(RpDescription *d, const RpRepeatInfo *info)
{
	d->relid = info->relid;
	strlcpy(d->relation, info->relation, sizeof(d->relation));
	strlcpy(d->foreign_key, info->foreign_key, sizeof(d->foreign_key));
	strlcpy(d->suggestion, info->suggestion, sizeof(d->suggestion));
}

/* Columns of one relation compared with values that vary per execution */
typedef struct RpKeyLookup
{
	Oid			relid;
	Bitmapset  *attnos;
} RpKeyLookup;


static bool rp_describe_from_catalogs(PlannedStmt *stmt,
									  const Oid *source_relids, int nsource,
									  RpRepeatInfo *info);
static void rp_walk_plan(Plan *plan, PlannedStmt *stmt, List **lookups);
static void rp_add_qual_lookups(List *quals, PlannedStmt *stmt,
								IndexOnlyScan *ios, List **lookups);
static bool rp_is_varying_value(Node *node);
static Oid	rp_lookup_owner(PlannedStmt *stmt, Var *var, IndexOnlyScan *ios,
							AttrNumber *attno);
static void rp_add_lookup(List **lookups, Oid relid, AttrNumber attno);
static bool rp_describe_lookup(RpKeyLookup *lookup, const Oid *source_relids,
							   int nsource, RpRepeatInfo *info);
static void rp_set_relation(RpRepeatInfo *info, Oid relid);
static char *rp_column_list(Oid relid, const AttrNumber *attnos, int n);
static char *rp_fetch_json_call(RpConstraint *fk);
static char *rp_fetch_children_call(RpConstraint *fk, RpConstraint *target_fk);
static char *rp_django_hint(RpConstraint *fk);

void
rp_describe_repeat(PlannedStmt *stmt, uint64 fingerprint,
				   uint64 source_fingerprint, const Oid *source_relids,
				   int nsource, RpRepeatInfo *info)
{
	RpDescription *cached = rp_description_slot(stmt, fingerprint,
												source_fingerprint);

	if (cached->generation == rp_relation_generation + 1 &&
		cached->fingerprint == fingerprint &&
		cached->source_fingerprint == source_fingerprint &&
		cached->first_relid == rp_first_relid(stmt))
	{
		rp_description_get(cached, info);
		return;
	}
	if (!rp_describe_from_catalogs(stmt, source_relids, nsource, info))
		return;					/* the catalogs were busy: not for keeping */
	cached->generation = rp_relation_generation + 1;
	cached->fingerprint = fingerprint;
	cached->source_fingerprint = source_fingerprint;
	cached->first_relid = rp_first_relid(stmt);
	rp_description_put(cached, info);
}

/*
 * Describe a repeat from its plan and the catalogs (the cache missed).
 * Returns false when pg_constraint was locked and the foreign keys could
 * not be read.
 */
static bool
rp_describe_from_catalogs(PlannedStmt *stmt, const Oid *source_relids,
						  int nsource, RpRepeatInfo *info)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	List	   *lookups = NIL;
	ListCell   *lc;
	bool		described = false;
	bool		complete = true;

	info->relid = InvalidOid;
	info->relation[0] = '\0';
	info->foreign_key[0] = '\0';
	info->suggestion[0] = '\0';

	cxt = AllocSetContextCreate(CurrentMemoryContext, "relprefetch describe",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);

	rp_walk_plan(stmt->planTree, stmt, &lookups);
	foreach(lc, stmt->subplans)
		rp_walk_plan((Plan *) lfirst(lc), stmt, &lookups);

	/*
	 * The client's statement must never wait for us: if someone holds a
	 * conflicting lock on pg_constraint, go without the foreign keys.
	 */
	if (lookups != NIL)
		complete = ConditionalLockRelationOid(ConstraintRelationId,
											  AccessShareLock);
	if (lookups != NIL && complete)
	{
		foreach(lc, lookups)
		{
			if (rp_describe_lookup((RpKeyLookup *) lfirst(lc), source_relids,
								   nsource, info))
			{
				described = true;
				break;
			}
		}
		UnlockRelationOid(ConstraintRelationId, AccessShareLock);
	}

	if (!described)
	{
		/* no foreign key explains it: name the relation read, if any */
		if (lookups != NIL)
			rp_set_relation(info, ((RpKeyLookup *) linitial(lookups))->relid);
		else
		{
			foreach(lc, stmt->rtable)
			{
				RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

				if (rte->rtekind == RTE_RELATION)
				{
					rp_set_relation(info, rte->relid);
					break;
				}
			}
		}
		snprintf(info->suggestion, sizeof(info->suggestion),
				 "this statement runs once per row of an earlier result, "
				 "changing only its constants: fetch all the rows in one "
				 "statement (WHERE key = ANY($1)), or join them to the "
				 "earlier query");
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return complete;
}

/* Collect the key lookups of every scan in a plan tree */
static void
rp_walk_plan(Plan *plan, PlannedStmt *stmt, List **lookups)
{
	ListCell   *lc;

	if (plan == NULL)
		return;

	check_stack_depth();

	switch (nodeTag(plan))
	{
		case T_IndexScan:
			rp_add_qual_lookups(((IndexScan *) plan)->indexqualorig, stmt,
								NULL, lookups);
			break;
		case T_IndexOnlyScan:
			rp_add_qual_lookups(((IndexOnlyScan *) plan)->indexqual, stmt,
								(IndexOnlyScan *) plan, lookups);
			break;
		case T_BitmapHeapScan:
			rp_add_qual_lookups(((BitmapHeapScan *) plan)->bitmapqualorig,
								stmt, NULL, lookups);
			break;
		case T_Append:
			foreach(lc, ((Append *) plan)->appendplans)
				rp_walk_plan((Plan *) lfirst(lc), stmt, lookups);
			break;
		case T_MergeAppend:
			foreach(lc, ((MergeAppend *) plan)->mergeplans)
				rp_walk_plan((Plan *) lfirst(lc), stmt, lookups);
			break;
		case T_SubqueryScan:
			rp_walk_plan(((SubqueryScan *) plan)->subplan, stmt, lookups);
			break;
		default:
			break;
	}

	/* filters of scans refer to the scanned relation, too */
	if (nodeTag(plan) == T_SeqScan || nodeTag(plan) == T_IndexScan ||
		nodeTag(plan) == T_BitmapHeapScan || nodeTag(plan) == T_SampleScan)
		rp_add_qual_lookups(plan->qual, stmt, NULL, lookups);

	rp_walk_plan(plan->lefttree, stmt, lookups);
	rp_walk_plan(plan->righttree, stmt, lookups);
}

/* Strip the casts that do not change which value is compared */
static Node *
rp_strip_casts(Node *node)
{
	for (;;)
	{
		if (node && IsA(node, RelabelType))
			node = (Node *) ((RelabelType *) node)->arg;
		else if (node && IsA(node, FuncExpr) &&
				 ((FuncExpr *) node)->funcformat != COERCE_EXPLICIT_CALL &&
				 list_length(((FuncExpr *) node)->args) == 1)
			node = (Node *) linitial(((FuncExpr *) node)->args);
		else
			return node;
	}
}

/* A value that may change from one execution of the statement to the next */
static bool
rp_is_varying_value(Node *node)
{
	node = rp_strip_casts(node);
	if (node == NULL)
		return false;
	if (IsA(node, Const))
		return true;
	return IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN;
}

static bool
rp_is_equality(Oid opno)
{
	char	   *name = get_opname(opno);

	return name != NULL && strcmp(name, "=") == 0;
}

/* Add "column = value" and "column = ANY(values)" quals to lookups */
static void
rp_add_qual_lookups(List *quals, PlannedStmt *stmt, IndexOnlyScan *ios,
					List **lookups)
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		Node	   *qual = (Node *) lfirst(lc);
		Node	   *left = NULL;
		Node	   *right = NULL;
		Oid			relid;
		AttrNumber	attno;

		if (IsA(qual, OpExpr) && list_length(((OpExpr *) qual)->args) == 2 &&
			rp_is_equality(((OpExpr *) qual)->opno))
		{
			left = rp_strip_casts(linitial(((OpExpr *) qual)->args));
			right = rp_strip_casts(lsecond(((OpExpr *) qual)->args));
			if (!IsA(left, Var))
			{
				Node	   *tmp = left;

				left = right;
				right = tmp;
			}
		}
		else if (IsA(qual, ScalarArrayOpExpr) &&
				 ((ScalarArrayOpExpr *) qual)->useOr &&
				 rp_is_equality(((ScalarArrayOpExpr *) qual)->opno))
		{
			left = rp_strip_casts(linitial(((ScalarArrayOpExpr *) qual)->args));
			right = lsecond(((ScalarArrayOpExpr *) qual)->args);
		}
		else if (IsA(qual, BoolExpr) &&
				 ((BoolExpr *) qual)->boolop == AND_EXPR)
		{
			rp_add_qual_lookups(((BoolExpr *) qual)->args, stmt, ios, lookups);
			continue;
		}

		if (left == NULL || !IsA(left, Var) || ((Var *) left)->varlevelsup != 0 ||
			!rp_is_varying_value(right))
			continue;

		relid = rp_lookup_owner(stmt, (Var *) left, ios, &attno);
		if (OidIsValid(relid))
			rp_add_lookup(lookups, relid, attno);
	}
}

/*
 * The relation and column a Var of a scan qual stands for.  Partitions are
 * reported as their root table, whose keys are the ones users declared.
 */
static Oid
rp_lookup_owner(PlannedStmt *stmt, Var *var, IndexOnlyScan *ios,
				AttrNumber *attno)
{
	RangeTblEntry *rte;
	Oid			relid;

	if (var->varno == INDEX_VAR)
	{
		TargetEntry *tle;

		if (ios == NULL || var->varattno < 1 ||
			var->varattno > list_length(ios->indextlist))
			return InvalidOid;
		tle = list_nth_node(TargetEntry, ios->indextlist, var->varattno - 1);
		if (!IsA(tle->expr, Var))
			return InvalidOid;
		var = (Var *) tle->expr;
	}
	if (IS_SPECIAL_VARNO(var->varno) || var->varno < 1 ||
		var->varno > list_length(stmt->rtable) || var->varattno <= 0)
		return InvalidOid;

	rte = rt_fetch(var->varno, stmt->rtable);
	if (rte->rtekind != RTE_RELATION)
		return InvalidOid;

	relid = rte->relid;
	*attno = var->varattno;
	if (get_rel_relispartition(relid))
	{
		List	   *ancestors = get_partition_ancestors(relid);
		Oid			root;
		char	   *attname;

		/* a partition being detached concurrently has no ancestors */
		if (ancestors == NIL)
			return relid;
		root = llast_oid(ancestors);
		attname = get_attname(relid, *attno, true);
		if (attname == NULL)
			return InvalidOid;
		*attno = get_attnum(root, attname);
		if (*attno == InvalidAttrNumber)
			return InvalidOid;
		relid = root;
	}
	return relid;
}

static void
rp_add_lookup(List **lookups, Oid relid, AttrNumber attno)
{
	ListCell   *lc;
	RpKeyLookup *lookup;

	foreach(lc, *lookups)
	{
		lookup = (RpKeyLookup *) lfirst(lc);
		if (lookup->relid == relid)
		{
			lookup->attnos = bms_add_member(lookup->attnos, attno);
			return;
		}
	}
	lookup = palloc(sizeof(RpKeyLookup));
	lookup->relid = relid;
	lookup->attnos = bms_make_singleton(attno);
	*lookups = lappend(*lookups, lookup);
}

static bool
rp_source_reads(Oid relid, const Oid *source_relids, int nsource)
{
	int			i;

	for (i = 0; i < nsource; i++)
	{
		if (source_relids[i] == relid)
			return true;
	}
	return false;
}

/* The referencing foreign key that best explains a lookup by key */
static RpConstraint *
rp_pick_referencing_fk(Oid relid, Bitmapset *key, const Oid *source_relids,
					   int nsource)
{
	List	   *fks = rp_relation_constraints(relid, true);
	RpConstraint *only = NULL;
	int			nmatch = 0;
	ListCell   *lc;

	foreach(lc, fks)
	{
		RpConstraint *fk = (RpConstraint *) lfirst(lc);
		Bitmapset  *refset = NULL;
		int			i;

		for (i = 0; i < fk->nkeys; i++)
			refset = bms_add_member(refset, fk->confkey[i]);
		if (!bms_equal(refset, key))
			continue;
		if (rp_source_reads(fk->conrelid, source_relids, nsource))
			return fk;
		only = fk;
		nmatch++;
	}
	return nmatch == 1 ? only : NULL;
}

static void
rp_set_relation(RpRepeatInfo *info, Oid relid)
{
	char	   *name = rp_relation_qualified_name(relid);

	if (name == NULL)
		return;
	info->relid = relid;
	strlcpy(info->relation, name, sizeof(info->relation));
}

/*
 * Explain one relation's key lookup by a foreign key.  Returns false when
 * none fits.
 */
static bool
rp_describe_lookup(RpKeyLookup *lookup, const Oid *source_relids, int nsource,
				   RpRepeatInfo *info)
{
	List	   *constraints = rp_relation_constraints(lookup->relid, false);
	ListCell   *lc;

	/* forward: the relation is looked up by a key that a foreign key uses */
	foreach(lc, constraints)
	{
		RpConstraint *key = (RpConstraint *) lfirst(lc);
		RpConstraint *fk;

		if ((key->contype != CONSTRAINT_PRIMARY &&
			 key->contype != CONSTRAINT_UNIQUE) ||
			!bms_is_subset(key->keyset, lookup->attnos))
			continue;
		fk = rp_pick_referencing_fk(lookup->relid, key->keyset,
									source_relids, nsource);
		if (fk == NULL)
			continue;

		rp_set_relation(info, lookup->relid);
		strlcpy(info->foreign_key, fk->name, sizeof(info->foreign_key));
		snprintf(info->suggestion, sizeof(info->suggestion),
				 "each %s row looks up its %s row through foreign key %s "
				 "(%s(%s) -> %s(%s)), one statement per row: fetch both in "
				 "one call with %s%s",
				 rp_relation_qualified_name(fk->conrelid), info->relation,
				 quote_identifier(fk->name),
				 rp_relation_qualified_name(fk->conrelid),
				 rp_column_list(fk->conrelid, fk->conkey, fk->nkeys),
				 info->relation,
				 rp_column_list(fk->confrelid, fk->confkey, fk->nkeys),
				 rp_fetch_json_call(fk),
				 rp_django_hint(fk));
		return true;
	}

	/* reverse: the relation is searched by the columns of one of its FKs */
	foreach(lc, constraints)
	{
		RpConstraint *fk = (RpConstraint *) lfirst(lc);
		RpConstraint *partner;
		char	   *child;
		char	   *parent;

		if (fk->contype != CONSTRAINT_FOREIGN ||
			!bms_is_subset(fk->keyset, lookup->attnos))
			continue;

		child = rp_relation_qualified_name(fk->conrelid);
		parent = rp_relation_qualified_name(fk->confrelid);
		if (child == NULL || parent == NULL)
			continue;
		strlcpy(info->foreign_key, fk->name, sizeof(info->foreign_key));

		partner = rp_relation_junction_partner(constraints, fk);
		if (partner != NULL)
		{
			rp_set_relation(info, partner->confrelid);
			snprintf(info->suggestion, sizeof(info->suggestion),
					 "the %s rows of each %s row are read through junction "
					 "table %s (foreign keys %s and %s), one statement per "
					 "%s row: fetch them for all %s rows in one call with %s "
					 "(in Django: prefetch_related())",
					 info->relation, parent, child,
					 quote_identifier(fk->name),
					 quote_identifier(partner->name),
					 parent, parent,
					 rp_fetch_children_call(fk, partner));
		}
		else
		{
			rp_set_relation(info, fk->conrelid);
			snprintf(info->suggestion, sizeof(info->suggestion),
					 "the %s rows of each %s row are read through foreign "
					 "key %s (%s(%s) -> %s(%s)), one statement per %s row: "
					 "fetch the children of all %s rows in one call with %s "
					 "(in Django: prefetch_related())",
					 child, parent, quote_identifier(fk->name),
					 child, rp_column_list(fk->conrelid, fk->conkey, fk->nkeys),
					 parent,
					 rp_column_list(fk->confrelid, fk->confkey, fk->nkeys),
					 parent, parent, rp_fetch_children_call(fk, NULL));
		}
		return true;
	}

	return false;
}

/* "a, b" for the named columns of a relation */
static char *
rp_column_list(Oid relid, const AttrNumber *attnos, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		char	   *attname = get_attname(relid, attnos[i], true);

		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "",
						 attname ? quote_identifier(attname) : "?");
	}
	return buf.data;
}

/*
 * The relationship of fk's parent side that follows fk (and, for a junction,
 * target_fk), as the fetch functions see it.
 */
static RpRelationship *
rp_find_relationship(List *relationships, RpConstraint *fk,
					 RpConstraint *target_fk)
{
	ListCell   *lc;

	foreach(lc, relationships)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);

		if (strcmp(r->fk->name, fk->name) == 0 &&
			r->fk->conrelid == fk->conrelid &&
			(target_fk == NULL ? r->target_fk == NULL :
			 (r->target_fk != NULL &&
			  strcmp(r->target_fk->name, target_fk->name) == 0)))
			return r;
	}
	return NULL;
}

/*
 * The call that replaces a forward FK loop:
 * relprefetch.fetch_json('parent', '{"include": ["name"]}'), with the
 * shortest name that means only this relationship (its constraint's name
 * if none does).
 */
static char *
rp_fetch_json_call(RpConstraint *fk)
{
	List	   *all = rp_relation_list(fk->conrelid);
	RpRelationship *r = rp_find_relationship(all, fk, NULL);
	const char *best = fk->name;
	StringInfoData spec;
	ListCell   *lc;

	if (r == NULL)
		return "a join on that foreign key";
	foreach(lc, r->names)
	{
		const char *name = (const char *) lfirst(lc);
		ListCell   *lc2;
		int			matches = 0;

		if (strchr(name, '.') != NULL || strlen(name) >= strlen(best))
			continue;
		foreach(lc2, all)
			matches += rp_relation_name_matches(((RpRelationship *) lfirst(lc2))->names,
												name);
		if (matches == 1)
			best = name;
	}
	initStringInfo(&spec);
	appendStringInfoString(&spec, "{\"include\": [");
	escape_json(&spec, best);
	appendStringInfoString(&spec, "]}");
	return psprintf("SELECT relprefetch.fetch_json(%s, %s)",
					quote_literal_cstr(rp_relation_qualified_name(fk->conrelid)),
					quote_literal_cstr(spec.data));
}

/*
 * The call that replaces a reverse FK or many-to-many loop:
 * relprefetch.fetch_children(NULL::parent, NULL::child[]), with "via" when
 * other foreign keys relate the same two tables.
 */
static char *
rp_fetch_children_call(RpConstraint *fk, RpConstraint *target_fk)
{
	Oid			parent = fk->confrelid;
	Oid			child = target_fk ? target_fk->confrelid : fk->conrelid;
	const char *via = target_fk ? target_fk->name : fk->name;
	ListCell   *lc;
	int			same = 0;

	foreach(lc, rp_relation_list(parent))
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);

		if (r->kind != RP_RELATION_FORWARD && r->target == child)
			same++;
	}
	return psprintf("SELECT * FROM relprefetch.fetch_children(NULL::%s, NULL::%s[]%s)",
					rp_relation_qualified_name(parent),
					rp_relation_qualified_name(child),
					same > 1 ? psprintf(", via => %s", quote_literal_cstr(via)) : "");
}

/*
 * The Django spelling of a forward foreign key: select_related() of the
 * field, whose name is the column without its "_id" suffix.  Django's
 * foreign keys have a single column; for composite ones say nothing.
 */
static char *
rp_django_hint(RpConstraint *fk)
{
	char	   *attname;
	size_t		len;

	if (fk->nkeys != 1 ||
		(attname = get_attname(fk->conrelid, fk->conkey[0], true)) == NULL)
		return "";
	len = strlen(attname);
	if (len > 3 && strcmp(attname + len - 3, "_id") == 0)
		attname[len - 3] = '\0';
	return psprintf(" (in Django: select_related(\"%s\"))", attname);
}
