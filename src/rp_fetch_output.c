/*-------------------------------------------------------------------------
 *
 * rp_fetch_output.c
 *	  Writing a parent row's JSON object from the rows of a batch.
 *
 * The rows of every node were read and grouped by rp_fetch_exec.c: each
 * row holds its own fields, rendered once as text ("{..." without the
 * closing brace), and per include a pointer to the group of its related
 * rows.  An object is put together by following those pointers:
 *	- a to-one include: its row's object, or null;
 *	- a to-many include: the array of its rows' objects, [] when empty
 *	  (many-to-many targets in the order of their query, by arrival rank);
 *	- a to-one spread: its row's keys go into the parent's object (null
 *	  columns, null to-one includes and empty to-many ones without a row);
 *	- a to-many spread (PostgREST's spread of a to-many relationship): each
 *	  key its rows' objects would have goes into the parent's object, with
 *	  the array of those rows' values for it, one element per row in the
 *	  include's order (so the arrays are correlated), [] without rows.
 *	  Inside it, a nested include's value per row is as its key's would be
 *	  (an object, null, or an array of objects), a to-one spread's keys
 *	  give a value or null per row, and a to-many spread's an array per
 *	  row: arrays of arrays.
 * A to-many spread reads its rows key by key: their columns' values are
 * cut out of their text, by the ends kept after it (RpNode.columnar).
 *
 * Output runs in the caller's per-row memory; nothing here is kept.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "rp_fetch.h"

static bool rp_emit_fields(StringInfo out, RpNode *node, RpRow *row,
						   bool comma);
static void rp_emit_key_value(StringInfo out, RpNode *node, int key,
							  RpRow *row);

static int
rp_rank_cmp(const void *a, const void *b)
{
	uint32		ra = (*(RpRow *const *) a)->rank;
	uint32		rb = (*(RpRow *const *) b)->rank;

	return (ra > rb) - (ra < rb);
}

/*
 * The targets a many-to-many group links to, in the targets' order, at
 * most limit of them; returns how many, in *rows (palloc'd).
 */
int
rp_linked_rows(RpNode *node, RpGroup *group, RpRow ***rows)
{
	RpLinkItem *link;
	int			n = 0;

	if (group == NULL || group->nlinks == 0)
		return 0;
	*rows = palloc(sizeof(RpRow *) * group->nlinks);
	for (link = group->links; link != NULL; link = link->next)
	{
		if (link->target->head != NULL)
			(*rows)[n++] = link->target->head;
	}
	if (n > 1)
		qsort(*rows, n, sizeof(RpRow *), rp_rank_cmp);
	if (node->limit >= 0 && n > node->limit)
		n = (int) node->limit;
	return n;
}

/*
 * The rows of a to-many include's group, in their order (its limit was
 * applied as they arrived, or is applied here for a many-to-many one);
 * returns how many, in *rows (palloc'd, or NULL for none)
 */
static int
rp_group_list(RpNode *child, RpGroup *group, RpRow ***rows)
{
	RpRow	   *r;
	int			n = 0;

	*rows = NULL;
	if (child->junction)
		return rp_linked_rows(child, group, rows);
	if (group == NULL || group->count == 0)
		return 0;
	*rows = palloc(sizeof(RpRow *) * group->count);
	for (r = group->head; r != NULL; r = r->next)
		(*rows)[n++] = r;
	return n;
}

void
rp_emit(StringInfo out, RpNode *node, RpRow *row)
{
	appendStringInfoCharMacro(out, '{');
	(void) rp_emit_fields(out, node, row, false);
	appendStringInfoCharMacro(out, '}');
}

/* The value of a non-spread include, for its group (NULL: none) */
static void
rp_emit_include(StringInfo out, RpNode *child, RpGroup *group)
{
	RpRow	  **rows;
	int			n;
	int			j;

	if (child->to_one)
	{
		if (group != NULL && group->head != NULL)
			rp_emit(out, child, group->head);
		else
			rp_json_put(out, "null", 4);
		return;
	}
	n = rp_group_list(child, group, &rows);
	appendStringInfoCharMacro(out, '[');
	for (j = 0; j < n; j++)
	{
		if (j > 0)
			appendStringInfoCharMacro(out, ',');
		rp_emit(out, child, rows[j]);
	}
	appendStringInfoCharMacro(out, ']');
	if (rows != NULL)
		pfree(rows);
}

/* How many keys node's object has: a spread include's count as its own */
static int
rp_node_nkeys(const RpNode *node)
{
	int			n = node->ncolumns;
	int			i;

	for (i = 0; i < node->nincludes; i++)
		n += node->includes[i]->spread ?
			rp_node_nkeys(node->includes[i]) : 1;
	return n;
}

/*
 * Which include of node gives its key number key (counted after its
 * columns); *key becomes its number among that include's own keys, for a
 * spread one
 */
static int
rp_key_include(const RpNode *node, int *key)
{
	int			i;

	for (i = 0; i < node->nincludes; i++)
	{
		RpNode	   *child = node->includes[i];
		int			n = child->spread ? rp_node_nkeys(child) : 1;

		if (*key < n)
			return i;
		*key -= n;
	}
	elog(ERROR, "fetch output key out of range");
	return -1;					/* keep the compiler quiet */
}

/* The label ("key":) of key number key of node's object */
static void
rp_emit_key_label(StringInfo out, const RpNode *node, int key)
{
	RpNode	   *child;

	if (key < node->ncolumns)
	{
		rp_json_put(out, node->columns[key].label,
					node->columns[key].labellen);
		return;
	}
	key -= node->ncolumns;
	child = node->includes[rp_key_include(node, &key)];
	if (child->spread)
		rp_emit_key_label(out, child, key);
	else
		rp_json_put(out, child->label, child->labellen);
}

/* Key number key of a to-many spread: its rows' values for it, an array */
static void
rp_emit_key_array(StringInfo out, RpNode *child, int key, RpRow **rows,
				  int nrows)
{
	int			j;

	appendStringInfoCharMacro(out, '[');
	for (j = 0; j < nrows; j++)
	{
		if (j > 0)
			appendStringInfoCharMacro(out, ',');
		rp_emit_key_value(out, child, key, rows[j]);
	}
	appendStringInfoCharMacro(out, ']');
}

/*
 * The value of key number key of row's object (a row of a columnar node;
 * NULL for none: a spread to-one include without its row)
 */
static void
rp_emit_key_value(StringInfo out, RpNode *node, int key, RpRow *row)
{
	RpNode	   *child;
	RpGroup    *group;
	int			i;

	if (key < node->ncolumns)
	{
		const int32 *ends;
		int			start;

		if (row == NULL)
		{
			rp_json_put(out, "null", 4);
			return;
		}
		/* "{" "label"value "," "label"value ... */
		ends = rp_row_column_ends(row);
		start = (key == 0 ? 1 : ends[key - 1] + 1) +
			node->columns[key].labellen;
		rp_json_put(out, row->text + start, ends[key] - start);
		return;
	}
	key -= node->ncolumns;
	i = rp_key_include(node, &key);
	child = node->includes[i];
	group = row != NULL ? row->groups[i] : NULL;
	if (!child->spread)
		rp_emit_include(out, child, group);
	else if (child->to_one)
		rp_emit_key_value(out, child, key,
						  group != NULL ? group->head : NULL);
	else
	{
		RpRow	  **rows;
		int			n = rp_group_list(child, group, &rows);

		rp_emit_key_array(out, child, key, rows, n);
		if (rows != NULL)
			pfree(rows);
	}
}

/*
 * The keys of row's object, without its braces, after a comma when comma;
 * returns whether the object has keys so far.  A spread include's keys go
 * into its parent's object; without a row (NULL), its columns are null,
 * its to-one includes null and its other includes empty.
 */
static bool
rp_emit_fields(StringInfo out, RpNode *node, RpRow *row, bool comma)
{
	int			i;

	for (i = 0; i < node->ncolumns && row == NULL; i++)
	{
		if (comma)
			appendStringInfoCharMacro(out, ',');
		comma = true;
		rp_json_put(out, node->columns[i].label,
					node->columns[i].labellen);
		rp_json_put(out, "null", 4);
	}
	if (node->ncolumns > 0 && row != NULL)
	{
		/* the row's own fields, rendered as "{..." */
		if (comma)
			appendStringInfoCharMacro(out, ',');
		rp_json_put(out, row->text + 1, row->len - 1);
		comma = true;
	}
	for (i = 0; i < node->nincludes; i++)
	{
		RpNode	   *child = node->includes[i];
		RpGroup    *group = row != NULL ? row->groups[i] : NULL;

		if (child->spread && child->to_one)
		{
			comma = rp_emit_fields(out, child, group ? group->head : NULL,
								   comma);
			continue;
		}
		if (child->spread)
		{
			RpRow	  **rows;
			int			n = rp_group_list(child, group, &rows);
			int			nkeys = rp_node_nkeys(child);
			int			k;

			for (k = 0; k < nkeys; k++)
			{
				if (comma)
					appendStringInfoCharMacro(out, ',');
				comma = true;
				rp_emit_key_label(out, child, k);
				rp_emit_key_array(out, child, k, rows, n);
			}
			if (rows != NULL)
				pfree(rows);
			continue;
		}
		if (comma)
			appendStringInfoCharMacro(out, ',');
		comma = true;
		rp_json_put(out, child->label, child->labellen);
		rp_emit_include(out, child, group);
	}
	return comma;
}
