/*-------------------------------------------------------------------------
 *
 * rp_describe_text.c
 *	  The key lookups of a repeated statement whose plan hides what it
 *	  reads (one Custom Scan, as Citus's plans are on its coordinator),
 *	  from the statement's text.
 *
 * The text is run through the raw parser only: it was parsed when it ran,
 * so this cannot fail.  Its WHERE conditions "column = value", "column IN
 * (values)" and "column = ANY(values)" are the key lookups, and each such
 * column is followed to the table column it stands for through what the
 * FROM clause names: a table, a view (through its stored query), a
 * subquery or a CTE of the statement, nested up to RP_TEXT_MAX_DEPTH
 * levels; key conditions inside a subquery or CTE count too.  Names are
 * looked up, never required, and a table counts only if the plan reads it
 * (its range table holds it, or a Citus shard of it), so that a name
 * meaning another table since the statement ran is not taken.  Conditions
 * that are not keys (the loop's other conditions: other WHERE terms,
 * and a view's or subquery's WHERE, HAVING, LIMIT or OFFSET on the way to
 * a key) are only noted, for the suggestion to say so.
 *
 * Nothing here waits for a lock: a view's stored query is read only when
 * its lock is granted at once (the statement that ran holds it already).
 * This runs once per repeated shape and unit of work, when a loop is
 * recorded, never on the common path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "rp_citus.h"
#include "rp_describe_internal.h"

/* How deep views, subqueries and CTEs are followed */
#define RP_TEXT_MAX_DEPTH	16

/* A CTE of the text, with the CTEs its own query sees */
typedef struct RpTextCte
{
	CommonTableExpr *cte;
	List	   *scope;			/* RpTextCte, innermost first */
} RpTextCte;

/* An item of a FROM clause of the text, as the text names it */
typedef struct RpTextRel
{
	const char *name;			/* its alias, or its name; NULL: none */
	Oid			relid;			/* a table or a view; InvalidOid: derived */
	bool		view;
	SelectStmt *select;			/* derived: a subquery's or a CTE's query */
	List	   *colnames;		/* derived: its column aliases (String) */
	List	   *rels;			/* derived: RpTextRel of its FROM */
} RpTextRel;

/* What the walk of one statement's text shares */
typedef struct RpTextWalk
{
	PlannedStmt *stmt;
	RpPlanFacts *facts;
} RpTextWalk;

static List *rp_text_select(SelectStmt *select, List *scope, int depth,
							RpTextWalk *walk);
static bool rp_text_column(Node *node, List *rels, int depth,
						   RpTextWalk *walk, Oid *relid, AttrNumber *attno);
static bool rp_text_find_column(const char *relname, const char *colname,
								List *rels, int depth, RpTextWalk *walk,
								Oid *relid, AttrNumber *attno);
static bool rp_view_column(Oid view, const char *colname, int depth,
						   RpTextWalk *walk, Oid *relid, AttrNumber *attno);

/* Does the plan's range table hold relid, or a Citus shard of it? */
static bool
rp_plan_reads(PlannedStmt *stmt, Oid relid)
{
	ListCell   *lc;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind == RTE_RELATION &&
			(rte->relid == relid ||
			 rp_citus_shard_owner(rte->relid, true) == relid))
			return true;
	}
	return false;
}

/* The CTEs a SELECT with clause with sees: its own, then scope's */
static List *
rp_text_with(WithClause * with, List *scope)
{
	List	   *added = NIL;
	ListCell   *lc;

	if (with == NULL)
		return scope;
	foreach(lc, with->ctes)
	{
		RpTextCte  *cte = palloc(sizeof(RpTextCte));

		/* a CTE sees the ones before it (all of them, if recursive) */
		cte->cte = lfirst_node(CommonTableExpr, lc);
		cte->scope = scope;
		scope = lcons(cte, list_copy(scope));
		added = lappend(added, cte);
	}
	if (with->recursive)
	{
		foreach(lc, added)
			((RpTextCte *) lfirst(lc))->scope = scope;
	}
	return scope;
}

/* Is a FROM item's name that of a CTE in scope?  The innermost one */
static RpTextCte *
rp_text_find_cte(List *scope, RangeVar *rv)
{
	ListCell   *lc;

	if (rv->schemaname != NULL || rv->catalogname != NULL)
		return NULL;
	foreach(lc, scope)
	{
		RpTextCte  *cte = (RpTextCte *) lfirst(lc);

		if (strcmp(cte->cte->ctename, rv->relname) == 0)
			return cte;
	}
	return NULL;
}

/* A derived FROM item: a subquery's or a CTE's query, its FROM walked */
static RpTextRel *
rp_text_derived(const char *name, Node *query, List *colnames, List *scope,
				int depth, RpTextWalk *walk)
{
	RpTextRel  *rel;

	if (query == NULL || !IsA(query, SelectStmt) || depth >= RP_TEXT_MAX_DEPTH)
		return NULL;
	rel = palloc0(sizeof(RpTextRel));
	rel->name = name;
	rel->select = (SelectStmt *) query;
	rel->colnames = colnames;
	rel->rels = rp_text_select(rel->select, scope, depth + 1, walk);
	return rel;
}

/* Collect the items of a FROM clause, as named there */
static List *
rp_text_from(List *from, List *scope, int depth, RpTextWalk *walk)
{
	List	   *rels = NIL;
	ListCell   *lc;

	foreach(lc, from)
	{
		Node	   *item = (Node *) lfirst(lc);
		RpTextRel  *rel = NULL;

		if (IsA(item, JoinExpr))
			rels = list_concat(rels,
							   rp_text_from(list_make2(((JoinExpr *) item)->larg,
													   ((JoinExpr *) item)->rarg),
											scope, depth, walk));
		else if (IsA(item, RangeSubselect))
		{
			RangeSubselect *sub = (RangeSubselect *) item;

			rel = rp_text_derived(sub->alias ? sub->alias->aliasname : NULL,
								  sub->subquery,
								  sub->alias ? sub->alias->colnames : NIL,
								  scope, depth, walk);
		}
		else if (IsA(item, RangeVar))
		{
			RangeVar   *rv = (RangeVar *) item;
			const char *name = rv->alias ? rv->alias->aliasname : rv->relname;
			RpTextCte  *cte = rp_text_find_cte(scope, rv);
			Oid			relid;
			char		relkind;

			if (cte != NULL)
				rel = rp_text_derived(name, cte->cte->ctequery,
									  cte->cte->aliascolnames, cte->scope,
									  depth, walk);
			else if (OidIsValid(relid = RangeVarGetRelid(rv, NoLock, true)))
			{
				/* a table only if the plan reads it: the text was run */
				relkind = get_rel_relkind(relid);
				if (relkind == RELKIND_VIEW || rp_plan_reads(walk->stmt, relid))
				{
					rel = palloc0(sizeof(RpTextRel));
					rel->name = name;
					rel->relid = relid;
					rel->view = relkind == RELKIND_VIEW;
				}
			}
		}
		if (rel != NULL)
			rels = lappend(rels, rel);
	}
	return rels;
}

/*
 * The table column that output column colname of a derived FROM item
 * stands for: the select list's entry of that name (or at that place in
 * the column aliases), if it is a column of the item's own FROM.
 */
static bool
rp_text_output_column(RpTextRel *rel, const char *colname, int depth,
					  RpTextWalk *walk, Oid *relid, AttrNumber *attno)
{
	ListCell   *lc;
	int			position = -1;
	int			i = 0;

	foreach(lc, rel->colnames)
	{
		if (strcmp(strVal(lfirst(lc)), colname) == 0)
		{
			position = foreach_current_index(lc);
			break;
		}
	}
	foreach(lc, rel->select->targetList)
	{
		ResTarget  *target = lfirst_node(ResTarget, lc);
		ColumnRef  *ref = IsA(target->val, ColumnRef) ?
		(ColumnRef *) target->val : NULL;
		const char *name = target->name;

		if (ref != NULL && IsA(llast(ref->fields), A_Star))
		{
			int			nfields = list_length(ref->fields);

			/* "*" or "t.*": places after it are unknown, names are not */
			if (rel->colnames != NIL)
				return false;
			if (rp_text_find_column(nfields >= 2 ?
									strVal(list_nth(ref->fields, nfields - 2)) :
									NULL,
									colname, rel->rels, depth, walk, relid,
									attno))
				return true;
			continue;
		}
		if (name == NULL && ref != NULL && IsA(llast(ref->fields), String))
			name = strVal(llast(ref->fields));
		if (position >= 0 ? i == position :
			(i >= list_length(rel->colnames) && name != NULL &&
			 strcmp(name, colname) == 0))
			return rp_text_column(target->val, rel->rels, depth, walk, relid,
								  attno);
		i++;
	}
	return false;
}

/*
 * The table column that column colname of FROM item relname (any, if
 * NULL) stands for, among the FROM items rels, or false.
 */
static bool
rp_text_find_column(const char *relname, const char *colname, List *rels,
					int depth, RpTextWalk *walk, Oid *relid,
					AttrNumber *attno)
{
	ListCell   *lc;
	int			matches = 0;

	check_stack_depth();
	foreach(lc, rels)
	{
		RpTextRel  *rel = (RpTextRel *) lfirst(lc);
		Oid			r;
		AttrNumber	a;

		if (relname != NULL &&
			(rel->name == NULL || strcmp(relname, rel->name) != 0))
			continue;
		if (rel->select != NULL)
		{
			if (!rp_text_output_column(rel, colname, depth + 1, walk, &r, &a))
				continue;
		}
		else if (rel->view)
		{
			if (!rp_view_column(rel->relid, colname, depth + 1, walk, &r, &a))
				continue;
		}
		else if ((a = get_attnum(rel->relid, colname)) > 0)
			r = rel->relid;
		else
			continue;
		*relid = r;
		*attno = a;
		matches++;
	}

	/*
	 * The text ran, so a name it does not qualify is in one FROM item only:
	 * two matches mean this walk went wrong, and nothing is said.
	 */
	return matches == 1;
}

/* The table column a column reference of the text stands for, or false */
static bool
rp_text_column(Node *node, List *rels, int depth, RpTextWalk *walk,
			   Oid *relid, AttrNumber *attno)
{
	ColumnRef  *ref;
	int			nfields;
	const char *relname = NULL;

	while (node && IsA(node, TypeCast))
		node = ((TypeCast *) node)->arg;
	if (node == NULL || !IsA(node, ColumnRef) || depth >= RP_TEXT_MAX_DEPTH)
		return false;
	ref = (ColumnRef *) node;
	nfields = list_length(ref->fields);
	if (nfields >= 2)
		relname = strVal(list_nth(ref->fields, nfields - 2));
	if (!IsA(llast(ref->fields), String))
		return false;
	return rp_text_find_column(relname, strVal(llast(ref->fields)), rels,
							   depth, walk, relid, attno);
}

/* Does a query of a view filter the rows it reads (the loop's conditions)? */
static bool
rp_query_filters(Query * query)
{
	return (query->jointree != NULL && query->jointree->quals != NULL) ||
		query->havingQual != NULL || query->limitCount != NULL ||
		query->limitOffset != NULL;
}

/*
 * The table column an output expression of query (a view's stored query,
 * or a subquery or CTE of it) stands for; outer are the queries query is
 * nested in, innermost first.
 */
static bool
rp_query_column(Query * query, List *outer, Expr * expr, int depth,
				RpTextWalk *walk, Oid *relid, AttrNumber *attno)
{
	Var		   *var;
	RangeTblEntry *rte;
	Query	   *sub = NULL;

	check_stack_depth();
	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var) || depth >= RP_TEXT_MAX_DEPTH ||
		query->setOperations != NULL)
		return false;
	var = (Var *) expr;
	if (var->varlevelsup != 0 || var->varattno <= 0 || var->varno < 1 ||
		var->varno > list_length(query->rtable))
		return false;
	if (rp_query_filters(query))
		walk->facts->other_conds = true;

	rte = rt_fetch(var->varno, query->rtable);
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			if (get_rel_relkind(rte->relid) == RELKIND_VIEW)
			{
				char	   *attname = get_attname(rte->relid, var->varattno,
												  true);

				return attname != NULL &&
					rp_view_column(rte->relid, attname, depth + 1, walk,
								   relid, attno);
			}
			if (!rp_plan_reads(walk->stmt, rte->relid))
				return false;
			*relid = rte->relid;
			*attno = var->varattno;
			return true;
		case RTE_JOIN:
			if (var->varattno > list_length(rte->joinaliasvars))
				return false;
			return rp_query_column(query, outer,
								   list_nth(rte->joinaliasvars,
											var->varattno - 1),
								   depth + 1, walk, relid, attno);
		case RTE_SUBQUERY:
			sub = rte->subquery;
			outer = lcons(query, list_copy(outer));
			break;
		case RTE_CTE:
			{
				Query	   *owner;
				ListCell   *lc;

				if (rte->ctelevelsup > list_length(outer))
					return false;
				owner = rte->ctelevelsup == 0 ? query :
					list_nth(outer, rte->ctelevelsup - 1);
				outer = lcons(owner, list_copy_tail(outer, rte->ctelevelsup));
				foreach(lc, owner->cteList)
				{
					CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

					if (strcmp(cte->ctename, rte->ctename) == 0 &&
						IsA(cte->ctequery, Query))
						sub = (Query *) cte->ctequery;
				}
				break;
			}
		default:
			break;
	}
	if (sub != NULL && sub->commandType == CMD_SELECT)
	{
		TargetEntry *tle = get_tle_by_resno(sub->targetList, var->varattno);

		return tle != NULL && !tle->resjunk &&
			rp_query_column(sub, outer, tle->expr, depth + 1, walk, relid,
							attno);
	}
	return false;
}

/*
 * The table column that column colname of view stands for, from its
 * stored query.  The view is read only if its lock is granted at once.
 */
static bool
rp_view_column(Oid view, const char *colname, int depth, RpTextWalk *walk,
			   Oid *relid, AttrNumber *attno)
{
	Relation	rel;
	Query	   *query = NULL;
	TargetEntry *tle = NULL;
	ListCell   *lc;
	bool		found = false;

	if (depth >= RP_TEXT_MAX_DEPTH ||
		!ConditionalLockRelationOid(view, AccessShareLock))
		return false;
	rel = try_relation_open(view, NoLock);
	if (rel != NULL)
	{
		if (rel->rd_rel->relkind == RELKIND_VIEW)
			query = copyObject(get_view_query(rel));
		relation_close(rel, NoLock);
	}
	UnlockRelationOid(view, AccessShareLock);
	if (query == NULL)
		return false;
	foreach(lc, query->targetList)
	{
		TargetEntry *t = lfirst_node(TargetEntry, lc);

		if (!t->resjunk && t->resname != NULL &&
			strcmp(t->resname, colname) == 0)
			tle = t;
	}
	if (tle != NULL)
		found = rp_query_column(query, NIL, tle->expr, depth + 1, walk, relid,
								attno);
	return found;
}

/* A value that may change from one execution to the next, in the text */
static bool
rp_text_value(Node *node)
{
	ListCell   *lc;

	while (node && IsA(node, TypeCast))
		node = ((TypeCast *) node)->arg;
	if (node == NULL)
		return false;
	if (IsA(node, A_ArrayExpr))
	{
		foreach(lc, ((A_ArrayExpr *) node)->elements)
		{
			if (!rp_text_value((Node *) lfirst(lc)))
				return false;
		}
		return true;
	}
	return IsA(node, ParamRef) || IsA(node, A_Const);
}

/*
 * Add the key lookups of a WHERE clause of the text: "column = value",
 * "column IN (values)", "column = ANY(values)", ANDed; anything else is
 * one of the loop's other conditions.
 */
static void
rp_text_where(Node *node, List *rels, int depth, RpTextWalk *walk)
{
	A_Expr	   *e;
	Oid			relid;
	AttrNumber	attno;
	bool		key = false;

	if (node == NULL)
		return;
	if (IsA(node, BoolExpr) && ((BoolExpr *) node)->boolop == AND_EXPR)
	{
		ListCell   *lc;

		foreach(lc, ((BoolExpr *) node)->args)
			rp_text_where((Node *) lfirst(lc), rels, depth, walk);
		return;
	}
	if (IsA(node, A_Expr) &&
		(e = (A_Expr *) node)->name != NIL &&
		IsA(llast(e->name), String) &&
		strcmp(strVal(llast(e->name)), "=") == 0)
	{
		if (e->kind == AEXPR_OP || e->kind == AEXPR_OP_ANY)
			key = (rp_text_column(e->lexpr, rels, depth, walk, &relid,
								  &attno) &&
				   rp_text_value(e->rexpr)) ||
				(e->kind == AEXPR_OP &&
				 rp_text_column(e->rexpr, rels, depth, walk, &relid,
								&attno) &&
				 rp_text_value(e->lexpr));
		else if (e->kind == AEXPR_IN && IsA(e->rexpr, List) &&
				 rp_text_column(e->lexpr, rels, depth, walk, &relid, &attno))
		{
			ListCell   *lc;

			key = true;
			foreach(lc, (List *) e->rexpr)
				key &= rp_text_value((Node *) lfirst(lc));
		}
	}
	if (key && OidIsValid(relid = rp_declared_table(relid, &attno)))
		rp_add_lookup(&walk->facts->lookups, relid, attno);
	else
		walk->facts->other_conds = true;
}

/*
 * Walk a SELECT of the text (the statement, or a subquery or CTE of it):
 * add the key lookups of its WHERE, and return the items of its FROM.
 * scope holds the CTEs it sees from outside.  A set operation or VALUES
 * gives nothing.
 */
static List *
rp_text_select(SelectStmt *select, List *scope, int depth, RpTextWalk *walk)
{
	List	   *rels;

	check_stack_depth();
	if (select->op != SETOP_NONE || select->valuesLists != NIL ||
		depth >= RP_TEXT_MAX_DEPTH)
		return NIL;
	scope = rp_text_with(select->withClause, scope);
	rels = rp_text_from(select->fromClause, scope, depth, walk);
	if (depth > 0 && (select->havingClause != NULL ||
					  select->limitCount != NULL ||
					  select->limitOffset != NULL))
		walk->facts->other_conds = true;
	if (rels != NIL)
		rp_text_where(select->whereClause, rels, depth, walk);
	else if (select->whereClause != NULL)
		walk->facts->other_conds = true;
	return rels;
}

/*
 * The key lookups of a statement whose plan hides its scans, from its
 * text: a SELECT (also under EXPLAIN or DECLARE).
 */
void
rp_text_lookups(const RpStatement *st, RpPlanFacts *facts)
{
	List	   *raw = raw_parser(pnstrdup(st->text, st->len), RAW_PARSE_DEFAULT);
	Node	   *node;
	RpTextWalk	walk;

	if (list_length(raw) != 1)
		return;
	node = ((RawStmt *) linitial(raw))->stmt;
	if (IsA(node, ExplainStmt))
		node = ((ExplainStmt *) node)->query;
	else if (IsA(node, DeclareCursorStmt))
		node = ((DeclareCursorStmt *) node)->query;
	if (!IsA(node, SelectStmt))
		return;
	walk.stmt = st->stmt;
	walk.facts = facts;
	(void) rp_text_select((SelectStmt *) node, NIL, 0, &walk);
}
