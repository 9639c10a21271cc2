/*-------------------------------------------------------------------------
 *
 * rp_describe_source.c
 *	  The scope of a proven loop's parent rows: the source query's
 *	  conditions, order and limit, written as a fetch can take them.
 *
 * The loop's suggested call reads the parent rows that the source query
 * read, not the whole table.  The source's plan is not kept, only the text
 * of one of its executions (rp_unit.c), so that text is parsed again with
 * raw_parser (grammar only: no catalog lookup, no lock) and, when it is a
 * plain SELECT of the parent table, its WHERE, ORDER BY, LIMIT and OFFSET
 * are written back as SQL over the parent's columns: comparisons of
 * columns with constants, IN lists, IS [NOT] NULL, boolean tests, AND,
 * OR and NOT.  Anything else (parameters, functions, subqueries, other
 * tables, a text cut short, constants that may not be this unit's) is
 * left out and said so, never guessed.
 *
 * Nothing here may fail the client's statement: a parse error is caught
 * and gives "cannot be expressed".  This runs only when a proven loop is
 * described (once per shape per unit at most), never on the common path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rp_compat.h"
#include "rp_describe.h"
#include "rp_fingerprint.h"
#include "rp_relationship.h"

/* Longest condition or order written into a suggestion */
#define RP_SCOPE_MAX_TEXT	300

/* What the deparser knows about the source's one table */
typedef struct RpDeparse
{
	Oid			relid;			/* the parent table */
	const char *relname;		/* as the source names it */
	const char *schemaname;		/* or NULL */
	const char *alias;			/* or NULL */
	List	   *targets;		/* the source's select list (ResTarget) */
	bool		constants;		/* may its constants be written? */
	bool		saw_param;		/* a parameter was left out */
	bool		saw_constant;	/* a constant was left out */
} RpDeparse;

static bool rp_deparse_expr(Node *node, RpDeparse *d, StringInfo buf);

/*
 * The keys of the source's kept text, as the proof hashes an execution's
 * (rp_proof_keys_from_text); RP_TEXT_KEYS_NONE when the text has a
 * parameter or a list (its values are unknown) or more constants than are
 * kept.
 */
static char
rp_source_text_keys(const RpUnitQuery *source, RpExecKeys *keys)
{
	RpConstSpan spans[RP_MAX_CONST_SPANS];
	int			nspans;
	int			i;

	(void) rp_fingerprint(source->text, source->text_len, spans, &nspans);
	for (i = 0; i < nspans; i++)
	{
		if (spans[i].kind != RP_CONST_LITERAL)
			return RP_TEXT_KEYS_NONE;	/* a parameter, or a list: unknown */
	}
	if (nspans == RP_MAX_CONST_SPANS)
	{
		int			end = spans[nspans - 1].start + spans[nspans - 1].len;
		RpConstSpan more[RP_MAX_CONST_SPANS];
		int			nmore;

		(void) rp_fingerprint(source->text + end, source->text_len - end,
							  more, &nmore);
		if (nmore > 0)
			return RP_TEXT_KEYS_NONE;	/* constants past those kept */
	}
	rp_proof_keys_from_text(source->text, spans, nspans, keys);
	return RP_TEXT_KEYS_KNOWN;
}

/*
 * Are the constants of the source's kept text those of its executions in
 * this unit?  The text kept is that of the shape's first execution while
 * the backend keeps the shape, perhaps units ago.  It is, when the shape
 * was first seen in this unit and ran once.  Otherwise, under the simple
 * protocol each execution's first constants are kept (hashed) for the
 * proof: all of the source's executions in this unit must have had the
 * kept text's constants, and the text no more constants than are kept.
 */
bool
rp_source_constants_current(RpUnitQuery *source)
{
	RpExecKeys *text_keys;
	int			i;
	int			n;

	if (source->text_unit == source->unit_id && source->calls == 1)
		return true;
	text_keys = rp_unit_text_keys(source);

	/*
	 * The kept text's constants, hashed once: the text does not change while
	 * the shape is kept, and every unit that records a loop of this source
	 * asks.
	 */
	if (source->text_keys_state == RP_TEXT_KEYS_UNKNOWN)
		source->text_keys_state = rp_source_text_keys(source, text_keys);
	if (source->text_keys_state != RP_TEXT_KEYS_KNOWN)
		return false;

	/* its first execution, then the others kept, which must be all */
	n = source->calls > 1 ? source->nexecs : 1;
	if (source->calls > 1 && (source->execs == NULL || n != source->calls))
		return false;
	for (i = 0; i < n; i++)
	{
		const RpExecKeys *k = i == 0 && source->calls <= 1 ?
		rp_unit_first_keys(source) : &source->execs[i];
		int			j;

		if (k->nkeys != text_keys->nkeys)
			return false;
		for (j = 0; j < k->nkeys; j++)
		{
			if (k->hash[j] != text_keys->hash[j] || k->hash[j] == 0)
				return false;
		}
	}
	return true;
}

/* The column a ColumnRef names, if it is one of the parent's; else NULL */
static const char *
rp_deparse_column(ColumnRef *ref, RpDeparse *d)
{
	int			n = list_length(ref->fields);
	Node	   *last = llast(ref->fields);
	const char *qualifier = NULL;
	const char *schema = NULL;
	const char *colname;
	AttrNumber	attnum;

	if (!IsA(last, String) || n > 3)
		return NULL;
	if (n >= 2)
		qualifier = strVal(list_nth(ref->fields, n - 2));
	if (n == 3)
		schema = strVal(linitial(ref->fields));
	if (qualifier != NULL &&
		strcmp(qualifier, d->alias ? d->alias : d->relname) != 0)
		return NULL;
	if (schema != NULL &&
		(d->alias != NULL ||
		 strcmp(schema, d->schemaname ? d->schemaname :
				get_namespace_name(get_rel_namespace(d->relid))) != 0))
		return NULL;
	colname = strVal(last);
	attnum = get_attnum(d->relid, colname);
	if (attnum <= 0)
		return NULL;			/* none, or a system column */
	return colname;
}

/* A constant, as SQL; false when it may not be written */
static bool
rp_deparse_const(A_Const *c, RpDeparse *d, StringInfo buf)
{
	bool		b;

	if (!d->constants)
	{
		d->saw_constant = true;
		return false;
	}
	if (rp_aconst_isnull(c))
		appendStringInfoString(buf, "NULL");
	else if (rp_aconst_boolean(c, &b))
		appendStringInfoString(buf, b ? "true" : "false");
	else if (nodeTag(&c->val) == T_Integer)
		appendStringInfo(buf, "%d", rp_aconst_int(c));
	else if (nodeTag(&c->val) == T_Float)
		appendStringInfoString(buf, rp_aconst_text(c));
	else if (nodeTag(&c->val) == T_String)
		appendStringInfoString(buf, quote_literal_cstr(rp_aconst_text(c)));
	else
		return false;
	return true;
}

/* A value compared: a column, a constant, or a cast of either */
static bool
rp_deparse_operand(Node *node, RpDeparse *d, StringInfo buf)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		const char *col = rp_deparse_column((ColumnRef *) node, d);

		if (col == NULL)
			return false;
		appendStringInfoString(buf, quote_identifier(col));
		return true;
	}
	if (IsA(node, A_Const))
		return rp_deparse_const((A_Const *) node, d, buf);
	if (IsA(node, ParamRef))
		d->saw_param = true;
	if (IsA(node, TypeCast))
	{
		TypeCast   *tc = (TypeCast *) node;
		TypeName   *tn = tc->typeName;
		ListCell   *lc;

		if (tn == NULL || tn->names == NIL || tn->typeOid != InvalidOid ||
			tn->setof || tn->pct_type || tn->typmods != NIL ||
			tn->arrayBounds != NIL ||
			(!IsA(tc->arg, A_Const) && !IsA(tc->arg, ColumnRef)) ||
			!rp_deparse_operand(tc->arg, d, buf))
			return false;
		appendStringInfoString(buf, "::");
		foreach(lc, tn->names)
		{
			if (!IsA(lfirst(lc), String))
				return false;
			appendStringInfo(buf, "%s%s", foreach_current_index(lc) > 0 ? "." : "",
							 quote_identifier(strVal(lfirst(lc))));
		}
		return true;
	}
	return false;
}

/* The SQL of an operator of the raw tree that we write, or NULL */
static const char *
rp_deparse_operator(A_Expr *e)
{
	static const char *const comparisons[] = {"=", "<>", "!=", "<", ">", "<=", ">="};
	const char *name;
	int			i;

	if (list_length(e->name) != 1 || !IsA(linitial(e->name), String))
		return NULL;
	name = strVal(linitial(e->name));
	switch (e->kind)
	{
		case AEXPR_OP:
			for (i = 0; i < lengthof(comparisons); i++)
			{
				if (strcmp(name, comparisons[i]) == 0)
					return name;
			}
			return NULL;
		case AEXPR_LIKE:
			return strcmp(name, "~~") == 0 ? "LIKE" :
				strcmp(name, "!~~") == 0 ? "NOT LIKE" : NULL;
		case AEXPR_ILIKE:
			return strcmp(name, "~~*") == 0 ? "ILIKE" :
				strcmp(name, "!~~*") == 0 ? "NOT ILIKE" : NULL;
		case AEXPR_IN:
			return strcmp(name, "=") == 0 ? "IN" :
				strcmp(name, "<>") == 0 ? "NOT IN" : NULL;
		case AEXPR_BETWEEN:
			return "BETWEEN";
		case AEXPR_NOT_BETWEEN:
			return "NOT BETWEEN";
		default:
			return NULL;
	}
}

/* A comparison, IN list or BETWEEN */
static bool
rp_deparse_a_expr(A_Expr *e, RpDeparse *d, StringInfo buf)
{
	const char *op = rp_deparse_operator(e);
	ListCell   *lc;

	if (op == NULL || e->lexpr == NULL ||
		!rp_deparse_operand(e->lexpr, d, buf))
		return false;
	appendStringInfo(buf, " %s ", op);
	if (e->kind == AEXPR_IN || e->kind == AEXPR_BETWEEN ||
		e->kind == AEXPR_NOT_BETWEEN)
	{
		bool		in = e->kind == AEXPR_IN;

		if (!IsA(e->rexpr, List) ||
			(!in && list_length((List *) e->rexpr) != 2))
			return false;
		if (in)
			appendStringInfoChar(buf, '(');
		foreach(lc, (List *) e->rexpr)
		{
			if (foreach_current_index(lc) > 0)
				appendStringInfoString(buf, in ? ", " : " AND ");
			if (!rp_deparse_operand(lfirst(lc), d, buf))
				return false;
		}
		if (in)
			appendStringInfoChar(buf, ')');
		return true;
	}
	return rp_deparse_operand(e->rexpr, d, buf);
}

/* An argument of AND, OR or NOT: parenthesized when itself one of them */
static bool
rp_deparse_bool_arg(Node *node, RpDeparse *d, StringInfo buf)
{
	bool		paren = IsA(node, BoolExpr);
	bool		ok;

	if (paren)
		appendStringInfoChar(buf, '(');
	ok = rp_deparse_expr(node, d, buf);
	if (paren)
		appendStringInfoChar(buf, ')');
	return ok;
}

/* A condition of the source's WHERE, as SQL over the parent's columns */
static bool
rp_deparse_expr(Node *node, RpDeparse *d, StringInfo buf)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	check_stack_depth();
	switch (nodeTag(node))
	{
		case T_ColumnRef:
			return rp_deparse_operand(node, d, buf);	/* a boolean column */
		case T_A_Expr:
			return rp_deparse_a_expr((A_Expr *) node, d, buf);
		case T_BoolExpr:
			{
				BoolExpr   *b = (BoolExpr *) node;

				if (b->boolop == NOT_EXPR)
				{
					appendStringInfoString(buf, "NOT ");
					return rp_deparse_bool_arg(linitial(b->args), d, buf);
				}
				foreach(lc, b->args)
				{
					if (foreach_current_index(lc) > 0)
						appendStringInfoString(buf, b->boolop == AND_EXPR ?
											   " AND " : " OR ");
					if (!rp_deparse_bool_arg(lfirst(lc), d, buf))
						return false;
				}
				return true;
			}
		case T_NullTest:
			{
				NullTest   *nt = (NullTest *) node;

				if (!rp_deparse_operand((Node *) nt->arg, d, buf))
					return false;
				appendStringInfoString(buf, nt->nulltesttype == IS_NULL ?
									   " IS NULL" : " IS NOT NULL");
				return true;
			}
		case T_BooleanTest:
			{
				static const char *const tests[] = {
					" IS TRUE", " IS NOT TRUE", " IS FALSE", " IS NOT FALSE",
					" IS UNKNOWN", " IS NOT UNKNOWN"
				};
				BooleanTest *bt = (BooleanTest *) node;

				if ((int) bt->booltesttype < 0 ||
					(int) bt->booltesttype >= lengthof(tests) ||
					!rp_deparse_operand((Node *) bt->arg, d, buf))
					return false;
				appendStringInfoString(buf, tests[bt->booltesttype]);
				return true;
			}
		default:
			return false;
	}
}

/*
 * The ORDER BY list over the parent's columns into scope's order_by and,
 * over fetch_children's "parent" column, parent_order_by; false when it
 * cannot be written.
 */
static bool
rp_deparse_order(List *sortClause, RpDeparse *d, RpSourceScope *scope)
{
	StringInfoData buf;
	StringInfoData pbuf;
	ListCell   *lc;

	initStringInfo(&buf);
	initStringInfo(&pbuf);
	foreach(lc, sortClause)
	{
		SortBy	   *sb = (SortBy *) lfirst(lc);
		Node	   *key = sb->node;
		StringInfoData item;

		if (!IsA(sb, SortBy) || sb->useOp != NIL)
			return false;
		/* a position, or an output column's name, stands for its value */
		if (IsA(key, A_Const) && nodeTag(&((A_Const *) key)->val) == T_Integer)
		{
			int			pos = rp_aconst_int((A_Const *) key);
			ListCell   *lc2;

			foreach(lc2, d->targets)
			{
				ColumnRef  *ref = (ColumnRef *) ((ResTarget *) lfirst(lc2))->val;

				if (IsA(llast(ref->fields), A_Star))
					return false;	/* positions past a star: unknown */
			}
			if (pos < 1 || pos > list_length(d->targets))
				return false;
			key = ((ResTarget *) list_nth(d->targets, pos - 1))->val;
		}
		else if (IsA(key, ColumnRef) &&
				 list_length(((ColumnRef *) key)->fields) == 1 &&
				 IsA(linitial(((ColumnRef *) key)->fields), String))
		{
			const char *name = strVal(linitial(((ColumnRef *) key)->fields));
			ListCell   *lc2;

			foreach(lc2, d->targets)
			{
				ResTarget  *rt = (ResTarget *) lfirst(lc2);

				if (rt->name != NULL && strcmp(rt->name, name) == 0)
				{
					key = rt->val;
					break;
				}
			}
		}
		initStringInfo(&item);
		if (!IsA(key, ColumnRef) || !rp_deparse_operand(key, d, &item))
			return false;
		if (sb->sortby_dir == SORTBY_DESC)
			appendStringInfoString(&item, " DESC");
		else if (sb->sortby_dir != SORTBY_ASC &&
				 sb->sortby_dir != SORTBY_DEFAULT)
			return false;
		if (sb->sortby_nulls == SORTBY_NULLS_FIRST)
			appendStringInfoString(&item, " NULLS FIRST");
		else if (sb->sortby_nulls == SORTBY_NULLS_LAST)
			appendStringInfoString(&item, " NULLS LAST");
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", item.data);
		appendStringInfo(&pbuf, "%s(parent).%s", pbuf.len > 0 ? ", " : "",
						 item.data);
	}
	if (pbuf.len > RP_SCOPE_MAX_TEXT)
		return false;
	scope->order_by = buf.data;
	scope->parent_order_by = pbuf.data;
	return true;
}

/* LIMIT or OFFSET: -1 for none, -2 when it cannot be written */
static int64
rp_deparse_count(Node *node, RpDeparse *d)
{
	A_Const    *c = (A_Const *) node;

	if (node == NULL)
		return -1;
	if (IsA(node, ParamRef))
		d->saw_param = true;
	if (IsA(node, A_Const) && !d->constants)
		d->saw_constant = true;
	if (!IsA(node, A_Const) || !d->constants)
		return -2;
	if (rp_aconst_isnull(c))
		return -1;				/* LIMIT ALL, LIMIT NULL */
	if (nodeTag(&c->val) != T_Integer || rp_aconst_int(c) < 0)
		return -2;
	return rp_aconst_int(c);
}

/* Is the select list only the table's columns (no aggregate, no SRF)? */
static bool
rp_plain_targets(List *targets)
{
	ListCell   *lc;

	foreach(lc, targets)
	{
		ResTarget  *rt = (ResTarget *) lfirst(lc);

		if (!IsA(rt, ResTarget) || rt->indirection != NIL ||
			rt->val == NULL || !IsA(rt->val, ColumnRef))
			return false;
	}
	return targets != NIL;
}

/* The one query of the source's text, or NULL */
static SelectStmt *
rp_source_select(const char *text)
{
	List	   *parsed;
	Node	   *stmt;

	parsed = raw_parser(text, RAW_PARSE_DEFAULT);
	if (list_length(parsed) != 1)
		return NULL;
	stmt = ((RawStmt *) linitial(parsed))->stmt;
	/* a cursor's rows are its query's, read by its FETCHes */
	if (IsA(stmt, DeclareCursorStmt))
		stmt = ((DeclareCursorStmt *) stmt)->query;
	else if (IsA(stmt, PrepareStmt))
		stmt = ((PrepareStmt *) stmt)->query;
	return stmt != NULL && IsA(stmt, SelectStmt) ? (SelectStmt *) stmt : NULL;
}

/*
 * The scope of the parent rows that a loop's source query read, as a fetch
 * can say it: source is the kept text of the source (NUL-terminated,
 * cut_short when it may have been cut at the kept size), constants_current
 * whether its constants are known to be the unit's, parent the table the
 * suggested call starts from.  Fills scope; scope->unexpressed is a
 * sentence saying what could not be written, NULL when all was.
 */
void
rp_source_scope(const char *source, bool cut_short, bool constants_current,
				Oid parent, RpSourceScope *scope)
{
	MemoryContext cxt = CurrentMemoryContext;
	SelectStmt *volatile select = NULL;
	RpDeparse	d;
	RangeVar   *rv;
	char	   *relname = get_rel_name(parent);
	StringInfoData where;
	StringInfoData missing;
	StringInfoData why;
	bool		lost_where = false;
	bool		lost_order = false;
	bool		lost_limit = false;
	volatile bool failed = false;
	ListCell   *lc;

	memset(scope, 0, sizeof(RpSourceScope));
	scope->limit = -1;
	scope->offset = -1;

	if (!cut_short && relname != NULL)
	{
		/* the text ran once: a failure here is no reason to fail it */
		PG_TRY();
		{
			select = rp_source_select(source);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
			select = NULL;
			failed = true;
		}
		PG_END_TRY();
	}

	if (failed || cut_short)
	{
		scope->unexpressed = "The parent rows are those of the source "
			"query, whose text could not be read again: restrict the call "
			"to them by hand.";
		return;
	}
	if (select == NULL || select->op != SETOP_NONE ||
		select->withClause != NULL || select->distinctClause != NIL ||
		select->intoClause != NULL || select->groupClause != NIL ||
		select->havingClause != NULL || select->windowClause != NIL ||
		select->valuesLists != NIL ||
		list_length(select->fromClause) != 1 ||
		!IsA(linitial(select->fromClause), RangeVar) ||
		!rp_plain_targets(select->targetList))
	{
		scope->unexpressed = psprintf("The parent rows are those of the "
									  "source query, which is not a plain "
									  "SELECT of %s: restrict the call to "
									  "them by hand.",
									  rp_relation_qualified_name(parent));
		return;
	}
	rv = (RangeVar *) linitial(select->fromClause);
	if (rv->catalogname != NULL || !rv->inh ||
		strcmp(rv->relname, relname) != 0 ||
		(rv->schemaname != NULL &&
		 strcmp(rv->schemaname,
				get_namespace_name(get_rel_namespace(parent))) != 0) ||
		(rv->alias != NULL && rv->alias->colnames != NIL))
	{
		scope->unexpressed = psprintf("The parent rows are those of the "
									  "source query, which does not read "
									  "%s alone: restrict the call to them "
									  "by hand.",
									  rp_relation_qualified_name(parent));
		return;
	}

	d.relid = parent;
	d.relname = rv->relname;
	d.schemaname = rv->schemaname;
	d.alias = rv->alias ? rv->alias->aliasname : NULL;
	d.targets = select->targetList;
	d.constants = constants_current;
	d.saw_param = false;
	d.saw_constant = false;

	/* each condition ANDed at the top is written, or left out */
	initStringInfo(&where);
	if (select->whereClause != NULL)
	{
		List	   *conds;

		if (IsA(select->whereClause, BoolExpr) &&
			((BoolExpr *) select->whereClause)->boolop == AND_EXPR)
			conds = ((BoolExpr *) select->whereClause)->args;
		else
			conds = list_make1(select->whereClause);
		foreach(lc, conds)
		{
			StringInfoData one;

			initStringInfo(&one);
			if (!rp_deparse_bool_arg(lfirst(lc), &d, &one) ||
				where.len + one.len > RP_SCOPE_MAX_TEXT)
			{
				lost_where = true;
				continue;
			}
			appendStringInfo(&where, "%s%s", where.len > 0 ? " AND " : "",
							 one.data);
		}
	}
	if (where.len > 0)
		scope->where = where.data;

	if (select->sortClause != NIL)
	{
		lost_order = !rp_deparse_order(select->sortClause, &d, scope);
	}

	/* a limit means the first rows in the source's order, of its rows */
	scope->limit = rp_deparse_count(select->limitCount, &d);
	scope->offset = rp_deparse_count(select->limitOffset, &d);
	if (scope->limit == -2 || scope->offset == -2 ||
		select->limitOption == LIMIT_OPTION_WITH_TIES ||
		((scope->limit >= 0 || scope->offset >= 0) &&
		 (lost_where || lost_order)))
	{
		lost_limit = scope->limit != -1 || scope->offset != -1;
		scope->limit = -1;
		scope->offset = -1;
	}

	if (!lost_where && !lost_order && !lost_limit)
		return;
	initStringInfo(&missing);
	if (lost_where)
		appendStringInfoString(&missing, "conditions");
	if (lost_order)
		appendStringInfo(&missing, "%sorder",
						 missing.len == 0 ? "" : lost_limit ? ", " : " and ");
	if (lost_limit)
		appendStringInfo(&missing, "%slimit",
						 missing.len == 0 ? "" : " and ");
	initStringInfo(&why);
	if (d.saw_param)
		appendStringInfoString(&why, "parameters");
	if (d.saw_constant)
		appendStringInfo(&why, "%sconstants not known to be this loop's",
						 why.len > 0 ? ", " : "");
	if (why.len == 0)
		appendStringInfoString(&why,
							   "variables, functions, subqueries or other operators");
	scope->unexpressed =
		psprintf("The parent rows are those of the source query, whose %s "
				 "could not be written in the call (%s): add %s by hand.",
				 missing.data, why.data,
				 lost_where || (lost_order && lost_limit) ? "them" : "it");
}
