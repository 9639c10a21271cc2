/*-------------------------------------------------------------------------
 *
 * rp_proof_columns.c
 *	  Which columns of a statement's rows the proof keeps.
 *
 * Every counted statement's rows may be a loop's source, so choosing the
 * columns to keep is on the common path.  It is done once per query shape
 * (RpCaptureLayout, kept with the shape in rp_unit.c) and again only when
 * the catalogs change (rp_relation_generation) or the rows' shape does.
 *
 * The columns kept are those whose values can be a loop's keys: of the
 * types rp_proof_type_kept accepts, and, when the column comes from a
 * table, one of the table's key columns: a column of one of its indexes
 * (a primary key, a unique key, any index a lookup can use) or of one of
 * its foreign keys.  The referenced side of a foreign key always has a
 * unique index, so both sides of every relationship are kept; a title or
 * a body is not hashed just in case.  Columns of views and of other
 * relations without indexes, and computed columns (no table of origin),
 * are all kept.
 *
 * Key columns are cached per backend, per table, until the next change of
 * the catalogs; an invalidation only marks the cache stale, since it can
 * arrive while the cache is being filled.  Everything here is
 * backend-local: no shared memory, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "nodes/bitmapset.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "rp_proof.h"
#include "rp_relationship.h"

/* A table's key columns */
typedef struct RpKeyColumns
{
	Oid			relid;			/* hash key */
	bool		all;			/* no indexes to go by: every column */
	Bitmapset  *columns;		/* attnums, in rp_keycols_cxt */
} RpKeyColumns;

static HTAB *rp_keycols = NULL;
static MemoryContext rp_keycols_cxt = NULL;
static bool rp_keycols_stale = false;

static void
rp_keycols_changed(Oid relid)
{
	rp_keycols_stale = true;
}

/* Called from _PG_init */
void
rp_proof_columns_init(void)
{
	rp_relation_on_change(rp_keycols_changed);
}

/* An empty cache, made afresh when the catalogs changed */
static void
rp_keycols_reset(void)
{
	HASHCTL		ctl;

	if (rp_keycols_cxt == NULL)
		rp_keycols_cxt = AllocSetContextCreate(TopMemoryContext,
											   "relprefetch key columns",
											   ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(rp_keycols_cxt);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RpKeyColumns);
	ctl.hcxt = rp_keycols_cxt;
	rp_keycols = hash_create("relprefetch key columns", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	rp_keycols_stale = false;
}

/* Read a table's key columns from its relcache entry and its indexes */
static void
rp_keycols_fill(RpKeyColumns *entry, Relation rel)
{
	List	   *indexes;
	List	   *fkeys;
	ListCell   *lc;
	MemoryContext old;

	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE &&
		rel->rd_rel->relkind != RELKIND_MATVIEW)
	{
		entry->all = true;
		return;
	}
	indexes = RelationGetIndexList(rel);
	fkeys = RelationGetFKeyList(rel);
	if (indexes == NIL && fkeys == NIL)
	{
		entry->all = true;
		return;
	}

	old = MemoryContextSwitchTo(rp_keycols_cxt);
	foreach(lc, indexes)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID,
											ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index index;
		int			i;

		if (!HeapTupleIsValid(tuple))
			continue;
		index = (Form_pg_index) GETSTRUCT(tuple);
		for (i = 0; i < index->indnkeyatts; i++)
		{
			if (index->indkey.values[i] > 0)
				entry->columns = bms_add_member(entry->columns,
												index->indkey.values[i]);
		}
		ReleaseSysCache(tuple);
	}
	foreach(lc, fkeys)
	{
		ForeignKeyCacheInfo *fk = lfirst_node(ForeignKeyCacheInfo, lc);
		int			i;

		for (i = 0; i < fk->nkeys; i++)
			entry->columns = bms_add_member(entry->columns, fk->conkey[i]);
	}
	MemoryContextSwitchTo(old);
	list_free(indexes);
}

/* May values of this column of this table be a loop's keys? */
static bool
rp_is_key_column(Oid relid, AttrNumber attnum)
{
	RpKeyColumns *entry;
	bool		found;

	if (rp_keycols == NULL || rp_keycols_stale)
		rp_keycols_reset();
	entry = hash_search(rp_keycols, &relid, HASH_ENTER, &found);
	if (!found)
	{
		/* the statement's tables are locked: its own plan reads them */
		Relation	rel = RelationIdGetRelation(relid);

		entry->all = false;
		entry->columns = NULL;
		if (RelationIsValid(rel))
		{
			rp_keycols_fill(entry, rel);
			RelationClose(rel);
		}
		/* an invalidation during the fill: the next lookup starts afresh */
	}
	return entry->all || bms_is_member(attnum, entry->columns);
}

/* Work out which columns of rows of this shape to keep */
static void
rp_layout_make(RpCaptureLayout *layout, TupleDesc desc, PlannedStmt *stmt)
{
	List	   *tlist = NIL;
	int			i;

	if (stmt->commandType == CMD_SELECT && stmt->planTree != NULL)
		tlist = stmt->planTree->targetlist;
	layout->generation = rp_relation_generation;
	layout->natts = desc->natts;
	layout->cols.ncolumns = 0;
	for (i = 0; i < desc->natts && layout->cols.ncolumns < RP_PROOF_COLUMNS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		TargetEntry *tle = NULL;
		int			c = layout->cols.ncolumns;

		if (att->attisdropped || !rp_proof_type_kept(att->atttypid))
			continue;
		if (i < list_length(tlist))
			tle = list_nth_node(TargetEntry, tlist, i);
		if (tle != NULL && OidIsValid(tle->resorigtbl) &&
			!rp_is_key_column(tle->resorigtbl, tle->resorigcol))
			continue;
		layout->cols.attnum[c] = i + 1;
		layout->cols.typid[c] = att->atttypid;
		layout->cols.origin_rel[c] = tle != NULL ? tle->resorigtbl : InvalidOid;
		layout->cols.origin_col[c] = tle != NULL ? tle->resorigcol : 0;
		layout->cols.ncolumns++;
	}
	/* an invalidation while reading the catalogs: make it again next time */
	if (rp_keycols_stale)
		layout->natts = -1;
}

/*
 * The columns to keep of rows of this shape: the layout made for an
 * earlier execution when nothing it depends on changed, else made afresh.
 * layout->natts is -1 for a layout never made (rp_proof_layout_init).
 */
RpCaptureLayout *
rp_proof_layout(RpCaptureLayout *layout, TupleDesc desc, PlannedStmt *stmt)
{
	int			c;

	if (!rp_proof_layout_made_for(layout, desc))
	{
		rp_layout_make(layout, desc, stmt);
		return layout;
	}
	for (c = 0; c < layout->cols.ncolumns; c++)
	{
		if (TupleDescAttr(desc, layout->cols.attnum[c] - 1)->atttypid !=
			layout->cols.typid[c])
		{
			rp_layout_make(layout, desc, stmt);
			break;
		}
	}
	return layout;
}
