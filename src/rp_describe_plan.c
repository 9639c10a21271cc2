/*-------------------------------------------------------------------------
 *
 * rp_describe_plan.c
 *	  What a repeated statement compares and reads: its key lookups (the
 *	  columns compared with a value that changes from one execution to the
 *	  next) and its scans' conditions, from its plan; when a Custom Scan
 *	  (Citus's) hides what the plan reads, the lookups come from the
 *	  statement's text (rp_describe_text.c).
 *
 * Nothing here locks a table or waits for a lock: detection runs inside
 * the client's statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "rp_citus.h"
#include "rp_describe_internal.h"

static void rp_walk_plan(Plan *plan, PlannedStmt *stmt, RpPlanFacts *facts);
static void rp_add_qual_lookups(List *quals, PlannedStmt *stmt,
								IndexOnlyScan *ios, List **lookups);
static bool rp_is_varying_value(Node *node);
static Oid	rp_lookup_owner(PlannedStmt *stmt, Var *var, IndexOnlyScan *ios,
							AttrNumber *attno);

/* Keep the quals of a scan of a plain relation */
static void
rp_add_scan_quals(PlannedStmt *stmt, Scan * scan, List *quals,
				  RpPlanFacts *facts)
{
	RpScanQuals *sq;
	RangeTblEntry *rte;

	if (scan->scanrelid < 1 || scan->scanrelid > list_length(stmt->rtable))
		return;
	rte = rt_fetch(scan->scanrelid, stmt->rtable);
	if (rte->rtekind != RTE_RELATION)
		return;
	sq = palloc(sizeof(RpScanQuals));
	sq->relid = rte->relid;
	sq->scanrelid = scan->scanrelid;
	sq->quals = list_concat_copy(quals, scan->plan.qual);
	facts->scans = lappend(facts->scans, sq);
}

/* Collect the key lookups and the quals of every scan in a plan tree */
static void
rp_walk_plan(Plan *plan, PlannedStmt *stmt, RpPlanFacts *facts)
{
	ListCell   *lc;
	List	  **lookups = &facts->lookups;

	if (plan == NULL)
		return;

	check_stack_depth();

	switch (nodeTag(plan))
	{
		case T_IndexScan:
			rp_add_qual_lookups(((IndexScan *) plan)->indexqualorig, stmt,
								NULL, lookups);
			rp_add_scan_quals(stmt, (Scan *) plan,
							  ((IndexScan *) plan)->indexqualorig, facts);
			break;
		case T_IndexOnlyScan:
			rp_add_qual_lookups(((IndexOnlyScan *) plan)->indexqual, stmt,
								(IndexOnlyScan *) plan, lookups);
			break;
		case T_BitmapHeapScan:
			rp_add_qual_lookups(((BitmapHeapScan *) plan)->bitmapqualorig,
								stmt, NULL, lookups);
			rp_add_scan_quals(stmt, (Scan *) plan,
							  ((BitmapHeapScan *) plan)->bitmapqualorig,
							  facts);
			break;
		case T_SeqScan:
			rp_add_scan_quals(stmt, (Scan *) plan, NIL, facts);
			break;
		case T_Append:
			foreach(lc, ((Append *) plan)->appendplans)
				rp_walk_plan((Plan *) lfirst(lc), stmt, facts);
			break;
		case T_MergeAppend:
			foreach(lc, ((MergeAppend *) plan)->mergeplans)
				rp_walk_plan((Plan *) lfirst(lc), stmt, facts);
			break;
		case T_SubqueryScan:
			rp_walk_plan(((SubqueryScan *) plan)->subplan, stmt, facts);
			break;
		case T_CustomScan:
			facts->hidden = true;
			foreach(lc, ((CustomScan *) plan)->custom_plans)
				rp_walk_plan((Plan *) lfirst(lc), stmt, facts);
			break;
		default:
			break;
	}

	/* filters of scans refer to the scanned relation, too */
	if (nodeTag(plan) == T_SeqScan || nodeTag(plan) == T_IndexScan ||
		nodeTag(plan) == T_BitmapHeapScan || nodeTag(plan) == T_SampleScan)
		rp_add_qual_lookups(plan->qual, stmt, NULL, lookups);

	rp_walk_plan(plan->lefttree, stmt, facts);
	rp_walk_plan(plan->righttree, stmt, facts);
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

/*
 * Is qual "column = value" or "column = ANY(values)", with a value that may
 * change from one execution to the next?  Then *relid and *attno are the
 * column's.
 */
bool
rp_qual_key(Node *qual, PlannedStmt *stmt, IndexOnlyScan *ios, Oid *relid,
			AttrNumber *attno)
{
	Node	   *left = NULL;
	Node	   *right = NULL;

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

	if (left == NULL || !IsA(left, Var) || ((Var *) left)->varlevelsup != 0 ||
		!rp_is_varying_value(right))
		return false;
	*relid = rp_lookup_owner(stmt, (Var *) left, ios, attno);
	return OidIsValid(*relid);
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
		Oid			relid;
		AttrNumber	attno;

		if (IsA(qual, BoolExpr) && ((BoolExpr *) qual)->boolop == AND_EXPR)
			rp_add_qual_lookups(((BoolExpr *) qual)->args, stmt, ios, lookups);
		else if (rp_qual_key(qual, stmt, ios, &relid, &attno))
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
	return rp_declared_table(relid, attno);
}

void
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

/*
 * The table a user declared for relid: a Citus shard's distributed table
 * (relid itself otherwise), with *attno, when valid, moved to the column of
 * the same name.  Never waits for a lock: detection must not.
 */
Oid
rp_declared_table(Oid relid, AttrNumber *attno)
{
	Oid			owner = rp_citus_shard_owner(relid, true);
	char	   *attname;

	if (!OidIsValid(owner))
		return relid;
	if (*attno == InvalidAttrNumber)
		return owner;
	attname = get_attname(relid, *attno, true);
	if (attname == NULL ||
		(*attno = get_attnum(owner, attname)) == InvalidAttrNumber)
		return InvalidOid;
	return owner;
}

/*
 * Collect a statement's key lookups and scans: from its plan (with its
 * subplans, if asked), or from its text when the plan hides them.
 */
void
rp_collect(const RpStatement *st, bool subplans, RpPlanFacts *facts)
{
	ListCell   *lc;

	rp_walk_plan(st->stmt->planTree, st->stmt, facts);
	if (subplans)
	{
		foreach(lc, st->stmt->subplans)
			rp_walk_plan((Plan *) lfirst(lc), st->stmt, facts);
	}
	if (facts->lookups == NIL && facts->hidden && st->text != NULL &&
		st->len > 0)
		rp_text_lookups(st, facts);
}
