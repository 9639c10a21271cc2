/*-------------------------------------------------------------------------
 *
 * rp_relationship_catalog.c
 *	  What the relationship model reads from the catalogs: the key
 *	  constraints of a table (its partitions' ancestors' included), and
 *	  what a simple view shows of its table.
 *
 * Constraints.  pg_constraint holds, besides the constraints declared on a
 * table, those that partitioning clones: onto each partition, a copy of
 * its parent's keys; and onto a table referencing a partitioned table, a
 * copy of the foreign key for each partition referenced.  Clones are left
 * out; instead, a partition is given its ancestors' constraints, with
 * their columns numbered as the partition numbers them.  So a partition
 * queried directly references what its ancestors reference, and is
 * referenced by what references its ancestors.
 *
 * Views.  A view qualifies when PostgreSQL could update it automatically
 * (one table or qualifying view in FROM, no DISTINCT, GROUP BY, HAVING,
 * LIMIT, aggregates, window functions, set operations or WITH; see
 * view_query_is_auto_updatable): each of its columns that is a plain
 * column of that relation is taken to be that column.  The relationships
 * of such a view are its relation's whose columns on the view's side it
 * shows (rp_relationship.c).
 *
 * The caller holds AccessShareLock on pg_constraint, or reads it knowing
 * that a table may be dropped under it (detection locks no table).  The
 * foreign keys that reference a table are found through pg_depend, whose
 * AccessShareLock is taken only if granted at once and released before
 * returning (else pg_constraint is scanned: the caller never waits).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_rewrite.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "rp_relationship.h"

/* Read an int2[] column of a pg_constraint row into keys; return its length */
static int
rp_read_keys(HeapTuple tuple, TupleDesc desc, int attnum, AttrNumber *keys)
{
	bool		isnull;
	Datum		datum = heap_getattr(tuple, attnum, desc, &isnull);
	ArrayType  *arr;
	int			n;

	if (isnull)
		return 0;
	arr = DatumGetArrayTypeP(datum);
	if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != INT2OID)
		return 0;
	n = Min(ARR_DIMS(arr)[0], INDEX_MAX_KEYS);
	memcpy(keys, ARR_DATA_PTR(arr), n * sizeof(AttrNumber));
	return n;
}

/* list_sort comparator: constraints by OID */
static int
rp_constraint_oid_cmp(const ListCell *a, const ListCell *b)
{
	Oid			oa = ((const RpConstraint *) lfirst(a))->oid;
	Oid			ob = ((const RpConstraint *) lfirst(b))->oid;

	return (oa > ob) - (oa < ob);
}

/*
 * The constraint in tuple (of pg_constraint, whose descriptor is desc) as
 * the relationship model takes it, or NULL: one declared on relid
 * (referencing false: primary key, unique or foreign key), or a foreign key
 * declared to reference it (referencing true); clones left out.
 */
static RpConstraint *
rp_constraint_from_tuple(HeapTuple tuple, TupleDesc desc, Oid relid,
						 bool referencing)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
	RpConstraint *c;

	if (OidIsValid(con->conparentid))
		return NULL;
	if (referencing ?
		(con->contype != CONSTRAINT_FOREIGN || con->confrelid != relid) :
		(con->conrelid != relid ||
		 (con->contype != CONSTRAINT_PRIMARY &&
		  con->contype != CONSTRAINT_UNIQUE &&
		  con->contype != CONSTRAINT_FOREIGN)))
		return NULL;

	c = palloc0(sizeof(RpConstraint));
	c->oid = con->oid;
	c->name = pstrdup(NameStr(con->conname));
	c->contype = con->contype;
	c->conrelid = con->conrelid;
	c->confrelid = con->confrelid;
	c->nkeys = rp_read_keys(tuple, desc, Anum_pg_constraint_conkey, c->conkey);
	if (c->contype == CONSTRAINT_FOREIGN)
		(void) rp_read_keys(tuple, desc, Anum_pg_constraint_confkey,
							c->confkey);
	if (c->nkeys == 0)
	{
		pfree(c->name);
		pfree(c);
		return NULL;
	}
	return c;
}

/*
 * The objects of class classid (a catalog's OID: pg_constraint's,
 * pg_rewrite's) that depend on relid or on one of its columns, in the order
 * of pg_depend's index on the objects depended on: one OID per dependency,
 * so an object may come more than once.  No dependency is recorded on a
 * pinned relation (one made by initdb).  The caller holds AccessShareLock
 * on pg_depend.
 */
static List *
rp_depending_objects(Oid relid, Oid classid)
{
	Relation	depend;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	List	   *result = NIL;

	depend = table_open(DependRelationId, NoLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2,
							  keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->classid == classid)
			result = lappend_oid(result, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, NoLock);
	return result;
}

/*
 * The OIDs of the constraints that depend on relid, ascending, each once.
 * Every foreign key that references relid is among them: when a foreign
 * key is made (CreateConstraintEntry, also for a clone), it records a
 * normal dependency on each referenced column of the table it references,
 * and nothing but dropping the constraint removes it (attaching and
 * detaching partitions change only the dependencies between a clone and
 * its parent).  The fetch_reverse test checks this after each of those
 * changes, on every major it runs on.  The exception is a pinned table,
 * on which no dependency is recorded: the caller asks only about tables
 * made after initdb.  The caller holds AccessShareLock on pg_depend.
 */
static List *
rp_depending_constraints(Oid relid)
{
	List	   *result = rp_depending_objects(relid, ConstraintRelationId);

	/* one row per referenced column, and others for self-references */
	list_sort(result, list_oid_cmp);
	list_deduplicate_oid(result);
	return result;
}

/*
 * The constraints declared on relid (referencing false: primary key,
 * unique and foreign keys), or the foreign keys declared to reference it
 * (referencing true); clones left out.  The order is fixed: the index's
 * (by name) for relid's own constraints, by OID (the order they were made
 * in) for those that reference it.
 *
 * pg_constraint has no index on confrelid: the foreign keys that reference
 * relid are found through pg_depend's index on the objects depended on
 * (see rp_depending_constraints), then each by OID through the syscache.
 * Two cases scan pg_constraint instead, as the only way to be complete or
 * never to wait: a table made by initdb (maybe pinned: no dependency
 * recorded on it), and pg_depend locked by another session in a mode that
 * conflicts with AccessShareLock (a VACUUM FULL of it, say).
 */
static List *
rp_declared_constraints(Oid relid, bool referencing)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	List	   *result = NIL;

	rel = table_open(ConstraintRelationId, NoLock);
	if (referencing && relid >= FirstNormalObjectId &&
		ConditionalLockRelationOid(DependRelationId, AccessShareLock))
	{
		ListCell   *lc;

		foreach(lc, rp_depending_constraints(relid))
		{
			RpConstraint *c;

			tuple = SearchSysCache1(CONSTROID,
									ObjectIdGetDatum(lfirst_oid(lc)));
			if (!HeapTupleIsValid(tuple))
				continue;		/* dropped since */
			c = rp_constraint_from_tuple(tuple, RelationGetDescr(rel), relid,
										 true);
			ReleaseSysCache(tuple);
			if (c != NULL)
				result = lappend(result, c);
		}
		UnlockRelationOid(DependRelationId, AccessShareLock);
		table_close(rel, NoLock);
		return result;
	}

	if (referencing)
	{
		ScanKeyInit(&key, Anum_pg_constraint_confrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	}
	else
	{
		ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
								  NULL, 1, &key);
	}
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		RpConstraint *c = rp_constraint_from_tuple(tuple,
												   RelationGetDescr(rel),
												   relid, referencing);

		if (c != NULL)
			result = lappend(result, c);
	}
	systable_endscan(scan);
	table_close(rel, NoLock);

	/* a heap scan returns them in whatever order the pages hold them */
	if (referencing)
		list_sort(result, rp_constraint_oid_cmp);
	return result;
}

/*
 * Renumber keys (n columns of ancestor) as partition numbers them, by
 * name; false if a column is missing.
 */
static bool
rp_translate_keys(AttrNumber *keys, int n, Oid ancestor, Oid partition)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *attname = get_attname(ancestor, keys[i], true);
		AttrNumber	attnum;

		if (attname == NULL ||
			(attnum = get_attnum(partition, attname)) == InvalidAttrNumber)
			return false;
		keys[i] = attnum;
	}
	return true;
}

/*
 * Primary key, unique and foreign key constraints of a table (referencing
 * false), or the foreign keys that reference it (referencing true), the
 * constraints of its ancestors included when it is a partition, as if
 * declared on it.
 */
List *
rp_relation_constraints(Oid relid, bool referencing)
{
	List	   *result = rp_declared_constraints(relid, referencing);
	ListCell   *lc;

	if (get_rel_relkind(relid) != '\0' && get_rel_relispartition(relid))
	{
		foreach(lc, get_partition_ancestors(relid))
		{
			Oid			ancestor = lfirst_oid(lc);
			ListCell   *lc2;

			foreach(lc2, rp_declared_constraints(ancestor, referencing))
			{
				RpConstraint *c = (RpConstraint *) lfirst(lc2);

				if (referencing)
				{
					if (!rp_translate_keys(c->confkey, c->nkeys, ancestor,
										   relid))
						continue;
					c->confrelid = relid;
				}
				else
				{
					/*
					 * the referenced rows stay the ancestor's: a row of the
					 * partition may reference a row of another
					 */
					if (!rp_translate_keys(c->conkey, c->nkeys, ancestor,
										   relid))
						continue;
					c->conrelid = relid;
				}
				result = lappend(result, c);
			}
		}
	}

	foreach(lc, result)
	{
		RpConstraint *c = (RpConstraint *) lfirst(lc);
		int			i;

		c->keyset = NULL;
		for (i = 0; i < c->nkeys; i++)
			c->keyset = bms_add_member(c->keyset, c->conkey[i]);
	}
	return result;
}

/*
 * If relid is a view that qualifies (see the top of this file): the
 * relation it reads, and for each of its columns (map[attnum - 1]) the
 * column of that relation it shows, or 0.  The caller holds a lock on the
 * view, or reads it knowing it may be dropped (then false).
 */
bool
rp_relation_view_columns(Oid relid, Oid *base, AttrNumber **map, int *natts)
{
	Relation	view;
	Query	   *query;
	RangeTblRef *rtr;
	RangeTblEntry *rte;
	ListCell   *lc;
	bool		result = false;

	if (get_rel_relkind(relid) != RELKIND_VIEW ||
		(view = try_relation_open(relid, AccessShareLock)) == NULL)
		return false;
	query = get_view_query(view);
	if (view_query_is_auto_updatable(query, false) == NULL &&
		list_length(query->jointree->fromlist) == 1 &&
		IsA(linitial(query->jointree->fromlist), RangeTblRef))
	{
		rtr = (RangeTblRef *) linitial(query->jointree->fromlist);
		rte = rt_fetch(rtr->rtindex, query->rtable);
		if (rte->rtekind == RTE_RELATION)
		{
			*natts = RelationGetNumberOfAttributes(view);
			*map = palloc0(sizeof(AttrNumber) * Max(*natts, 1));
			*base = rte->relid;
			foreach(lc, query->targetList)
			{
				TargetEntry *tle = (TargetEntry *) lfirst(lc);
				Var		   *var = (Var *) tle->expr;

				if (tle->resjunk || tle->resno > *natts || !IsA(var, Var) ||
					var->varno != rtr->rtindex || var->varlevelsup != 0 ||
					var->varattno <= 0)
					continue;
				(*map)[tle->resno - 1] = var->varattno;
			}
			result = true;
		}
	}
	relation_close(view, NoLock);
	return result;
}

/* The relation whose rule ruleid is; InvalidOid if none */
static Oid
rp_rule_relation(Relation rewrite, Oid ruleid)
{
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	Oid			result = InvalidOid;

	ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ruleid));
	scan = systable_beginscan(rewrite, RewriteOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		result = ((Form_pg_rewrite) GETSTRUCT(tuple))->ev_class;
	systable_endscan(scan);
	return result;
}

/*
 * The views that qualify (see the top of this file) and read relid
 * directly, found through the dependencies of their rules (each view
 * where its rule's first dependency on relid comes).  The AccessShareLock
 * on pg_depend is waited for, and held while the views are looked at.
 */
List *
rp_relation_views_over(Oid relid)
{
	Relation	rewrite;
	ListCell   *lc;
	List	   *result = NIL;

	LockRelationOid(DependRelationId, AccessShareLock);
	rewrite = table_open(RewriteRelationId, AccessShareLock);
	foreach(lc, rp_depending_objects(relid, RewriteRelationId))
	{
		Oid			view = rp_rule_relation(rewrite, lfirst_oid(lc));
		Oid			base;
		AttrNumber *map;
		int			natts;

		if (!OidIsValid(view) || list_member_oid(result, view) ||
			!rp_relation_view_columns(view, &base, &map, &natts) ||
			base != relid)
			continue;
		result = lappend_oid(result, view);
	}
	table_close(rewrite, AccessShareLock);
	UnlockRelationOid(DependRelationId, AccessShareLock);
	return result;
}

/*
 * Could name be the name of a view, as rp_relationship.c names one: a
 * view's name, or schema.view?  A scan of pg_class by name, rather than of
 * every view over every table a fetch's relationships reach (for a name
 * with a dot, which may stand for either: true).
 */
bool
rp_relation_name_may_be_view(const char *name)
{
	Relation	class;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	bool		found = false;

	if (strchr(name, '.') != NULL)
		return true;
	if (strlen(name) >= NAMEDATALEN)
		return false;
	class = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_class_relname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum(name));
	scan = systable_beginscan(class, ClassNameNspIndexId, true, NULL, 1,
							  &key);
	while (!found && HeapTupleIsValid(tuple = systable_getnext(scan)))
		found = ((Form_pg_class) GETSTRUCT(tuple))->relkind == RELKIND_VIEW;
	systable_endscan(scan);
	table_close(class, AccessShareLock);
	return found;
}

/* Is a ancestor or partition of b (or b itself)? */
static bool
rp_is_ancestor(Oid a, Oid b)
{
	ListCell   *lc;

	if (get_rel_relkind(b) == '\0' || !get_rel_relispartition(b))
		return false;
	foreach(lc, get_partition_ancestors(b))
	{
		if (lfirst_oid(lc) == a)
			return true;
	}
	return false;
}

/*
 * Are a and b the same table, or one a partition of the other?  A foreign
 * key between them is then a self-reference.
 */
bool
rp_relation_same_table(Oid a, Oid b)
{
	return a == b || rp_is_ancestor(a, b) || rp_is_ancestor(b, a);
}
