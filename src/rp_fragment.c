/*-------------------------------------------------------------------------
 *
 * rp_fragment.c
 *	  The fragment checker: the security boundary of the fetch functions.
 *
 * The fetch functions take SQL fragments from the caller (where, order_by,
 * parent_where, child_where, child_order_by) and place them in queries of
 * their own, run with the caller's rights.  A fragment must parse, alone,
 * as exactly one WHERE expression or one ORDER BY list, with nothing else:
 * no second statement, no clause after it, no parenthesis closing what it
 * did not open, no comment or string left open, and no data-modifying or
 * row-locking statement anywhere in it.  rp_fetch_sql.c then places each
 * fragment as written, a WHERE inside parentheses and each on a line of
 * its own, so a fragment that passed cannot change anything around it.
 *
 * Everything here works on the raw parse tree: no catalog is read, and
 * names are resolved later, with the caller's search_path, as they would be
 * in the caller's own SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"

#include "rp_fragment.h"

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

/* What a syntax error in a fragment is reported against */
typedef struct RpFragmentSource
{
	const char *what;			/* the key: "where", "child_where", ... */
	const char *context;		/* of what: "include \"comments\"", ... */
	const char *fragment;
	int			prefix;			/* characters before it in the parsed text */
} RpFragmentSource;

static void
rp_fragment_error(const char *what, const char *context, const char *fragment,
				  const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("\"%s\" of %s must be %s", what, context, problem),
			 errdetail("It was: %s.", fragment)));
}

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
	errcontext("\"%s\" of %s", source->what, source->context);
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
void
rp_fragment_check(const char *fragment, RpFragment kind, const char *what,
				  const char *context)
{
	bool		where = kind == RP_FRAGMENT_WHERE;
	const char *problem = where ? "one SQL expression" : "one SQL ORDER BY list";
	const char *prefix = where ? "SELECT WHERE " : "SELECT ORDER BY ";
	RpFragmentSource source;
	ErrorContextCallback callback;
	List	   *parsed;
	SelectStmt *select;
	ListCell   *lc;

	source.what = what;
	source.context = context;
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
					 errmsg("\"%s\" of %s must name what to sort by, not a column position",
							what, context),
					 errdetail("It was: %s.", fragment)));
	}
	if (rp_writes_walker((Node *) select, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"%s\" of %s must not modify or lock rows",
						what, context),
				 errdetail("It was: %s.", fragment)));
}

/*
 * The items of an ORDER BY fragment that passed rp_fragment_check, as
 * SortBy nodes, when each one is a column named alone (one unqualified
 * name, ASC or DESC, NULLS FIRST or LAST, no USING and no COLLATE); NIL
 * otherwise.  Such a list can be applied to the rows after they are read
 * (rp_fetch_sort.c) without changing what it means.
 */
List *
rp_fragment_order_columns(const char *fragment)
{
	List	   *parsed;
	SelectStmt *select;
	ListCell   *lc;

	parsed = raw_parser(psprintf("SELECT ORDER BY %s", fragment),
						RAW_PARSE_DEFAULT);
	select = (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt;
	foreach(lc, select->sortClause)
	{
		SortBy	   *item = (SortBy *) lfirst(lc);
		ColumnRef  *ref = (ColumnRef *) item->node;

		if (item->sortby_dir == SORTBY_USING || !IsA(ref, ColumnRef) ||
			list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String))
			return NIL;
	}
	return select->sortClause;
}
