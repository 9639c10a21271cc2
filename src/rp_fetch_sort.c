/*-------------------------------------------------------------------------
 *
 * rp_fetch_sort.c
 *	  Each parent's rows of an include put in order after they are read,
 *	  instead of by the include's query.
 *
 * An include with an order gets each parent's rows in that order.  Its
 * query could sort them, by the key first and then by the order, so that
 * each parent's rows arrive together and in order (an incremental sort
 * from an index on the key).  That sort copies every row it reads once
 * more: at 10,000 posts with five comments each it was about a quarter of
 * a whole-graph fetch_json.  Rows go to their parents' groups as they
 * arrive whatever their order, so here the query does not sort: it returns
 * the columns of the order as well, and once the batch's rows of the
 * include are in, each group whose rows are not in order already is
 * sorted, a list of a few rows, comparing those columns as ORDER BY would
 * (the type's default btree ordering, the column's collation, ASC or DESC,
 * NULLS FIRST or LAST).  Rows the order ranks equal keep their order of
 * arrival, as they might from the query's sort.
 *
 * Only an order of the include's own columns, each named alone, is applied
 * so ("order_by": "created DESC, id", or "order" without related rows):
 * an expression, a COLLATE or USING, or a column of a related row is left
 * to the query, as is an include with a per-parent limit (rows past the
 * limit are dropped as they arrive, which needs them in order), a to-one
 * include, a many-to-many's targets (which are in the order of each
 * parent's links) and an include of a Citus table that keeps each key's
 * rows in one shard (each shard sorts its own, from an index on the key:
 * rp_plan_include).
 *
 * Everything is backend-local: no shared memory, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "rp_fetch.h"
#include "rp_fetch_map.h"
#include "rp_fragment.h"

/* One column of an order: what ORDER BY would compare */
typedef struct RpSortColumn
{
	AttrNumber	attnum;
	bool		desc;
	int			nulls;			/* as RpOrderItem: 0, 1 FIRST, 2 LAST */
} RpSortColumn;

/*
 * The order's columns into *columns, when each item names a column of
 * relid alone; false otherwise.
 */
static bool
rp_sort_columns(const RpSpec *spec, Oid relid, RpSortColumn **columns,
				int *ncolumns)
{
	List	   *items = NIL;
	ListCell   *lc;
	int			n = 0;

	if (spec->order != NIL)
	{
		foreach(lc, spec->order)
		{
			if (((RpOrderItem *) lfirst(lc))->path != NIL)
				return false;
		}
		items = spec->order;
	}
	else if (spec->order_by != NULL)
	{
		items = rp_fragment_order_columns(spec->order_by);
		if (items == NIL)
			return false;
	}
	else
		return false;

	*columns = palloc(sizeof(RpSortColumn) * list_length(items));
	foreach(lc, items)
	{
		RpSortColumn *column = &(*columns)[n++];
		const char *name;

		if (spec->order != NIL)
		{
			RpOrderItem *item = (RpOrderItem *) lfirst(lc);

			name = item->column;
			column->desc = item->desc;
			column->nulls = item->nulls;
		}
		else
		{
			SortBy	   *item = (SortBy *) lfirst(lc);

			name = strVal(linitial(((ColumnRef *) item->node)->fields));
			column->desc = item->sortby_dir == SORTBY_DESC;
			column->nulls = item->sortby_nulls == SORTBY_NULLS_FIRST ? 1 :
				item->sortby_nulls == SORTBY_NULLS_LAST ? 2 : 0;
		}
		/* a name that is no column (the query reports it) or a system one */
		column->attnum = get_attnum(relid, name);
		if (column->attnum <= 0)
			return false;
	}
	*ncolumns = n;
	return true;
}

/*
 * How ORDER BY would compare a column: false when its type has no default
 * btree ordering (the query then reports it, as it would)
 */
static bool
rp_sort_support(SortSupport ssup, Oid relid, const RpSortColumn *column)
{
	Oid			type = getBaseType(rp_column_type(relid, column->attnum));
	TypeCacheEntry *entry = lookup_type_cache(type, TYPECACHE_LT_OPR |
											  TYPECACHE_GT_OPR);
	Oid			op = column->desc ? entry->gt_opr : entry->lt_opr;

	if (!OidIsValid(op))
		return false;
	memset(ssup, 0, sizeof(SortSupportData));
	ssup->ssup_cxt = CurrentMemoryContext;
	ssup->ssup_collation = rp_column_collation(relid, column->attnum);
	ssup->ssup_nulls_first = column->nulls == 1 ||
		(column->nulls == 0 && column->desc);
	ssup->abbreviate = false;
	PrepareSortSupportFromOrderingOp(op, ssup);
	return true;
}

/*
 * Plan node (an include over relid) to put its rows in order itself, when
 * spec's order allows (see the file's comment): the order's columns go at
 * the end of body, the node's query, and become the last of its rows'
 * keys.  False, with nothing changed, when the query is to sort.  Runs in
 * the plan's memory context.
 */
bool
rp_sort_plan(RpNode *node, const RpSpec *spec, Oid relid, List **body)
{
	RpSortColumn *columns;
	SortSupportData *sortkeys;
	int			ncolumns;
	int			i;

	Assert(!node->root);		/* only includes are planned here */
	if (node->to_one || node->junction || node->limit >= 0 ||
		!rp_sort_columns(spec, relid, &columns, &ncolumns))
		return false;
	sortkeys = palloc(sizeof(SortSupportData) * ncolumns);
	for (i = 0; i < ncolumns; i++)
	{
		if (!rp_sort_support(&sortkeys[i], relid, &columns[i]))
			return false;
	}

	node->rowkey_typlen = repalloc(node->rowkey_typlen,
								   sizeof(int16) * (node->nrowkeys + ncolumns));
	node->rowkey_typbyval = repalloc(node->rowkey_typbyval,
									 sizeof(bool) * (node->nrowkeys + ncolumns));
	for (i = 0; i < ncolumns; i++)
	{
		get_typlenbyval(rp_column_type(relid, columns[i].attnum),
						&node->rowkey_typlen[node->nrowkeys + i],
						&node->rowkey_typbyval[node->nrowkeys + i]);
		*body = lappend(*body, rp_sql_sort_key(relid, columns[i].attnum,
											   i + 1));
	}
	node->nrowkeys += ncolumns;
	node->nsortkeys = ncolumns;
	node->sortkeys = sortkeys;
	return true;
}

/* Compare two rows of node by its order, as ORDER BY would */
static inline int
rp_sort_compare(RpNode *node, const RpRow *a, const RpRow *b)
{
	int			off = node->nrowkeys - node->nsortkeys;
	int			i;

	for (i = 0; i < node->nsortkeys; i++)
	{
		int			c = ApplySortComparator(a->keys[off + i],
											a->keynulls[off + i],
											b->keys[off + i],
											b->keynulls[off + i],
											&node->sortkeys[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * Merge two lists in order, of equal rows a's first; *tail is set to the
 * merged list's last row, which is a_tail or b_tail: the list left over
 * once the other one runs out is appended whole.
 */
static RpRow *
rp_sort_merge(RpNode *node, RpRow *a, RpRow *a_tail, RpRow *b, RpRow *b_tail,
			  RpRow **tail)
{
	RpRow		head;
	RpRow	   *last = &head;

	while (a != NULL && b != NULL)
	{
		if (rp_sort_compare(node, a, b) <= 0)
		{
			last->next = a;
			a = a->next;
		}
		else
		{
			last->next = b;
			b = b->next;
		}
		last = last->next;
	}
	last->next = a != NULL ? a : b;
	*tail = a != NULL ? a_tail : b_tail;
	return head.next;
}

/*
 * Sort the list of count (at least 1) rows at first, a merge sort (stable);
 * *tail is set to the sorted list's last row
 */
static RpRow *
rp_sort_list(RpNode *node, RpRow *first, int64 count, RpRow **tail)
{
	RpRow	   *last = first;
	RpRow	   *second;
	RpRow	   *first_tail;
	RpRow	   *second_tail;
	int64		i;

	if (count < 2)
	{
		*tail = first;
		return first;
	}
	for (i = 1; i < count / 2; i++)
		last = last->next;
	second = last->next;
	last->next = NULL;
	first = rp_sort_list(node, first, count / 2, &first_tail);
	second = rp_sort_list(node, second, count - count / 2, &second_tail);
	return rp_sort_merge(node, first, first_tail, second, second_tail, tail);
}

/* Put the rows of each group of map in node's order, where they are not */
void
rp_sort_groups(RpNode *node, rpmap_hash *map)
{
	rpmap_iterator it;
	RpMapEntry *entry;

	rpmap_start_iterate(map, &it);
	while ((entry = rpmap_iterate(map, &it)) != NULL)
	{
		RpGroup    *group = entry->group;
		RpRow	   *row;

		if (group->count < 2)
			continue;
		for (row = group->head; row->next != NULL; row = row->next)
		{
			if (rp_sort_compare(node, row, row->next) > 0)
				break;
		}
		if (row->next == NULL)
			continue;
		group->head = rp_sort_list(node, group->head, group->count,
								   &group->tail);
	}
}
