/*-------------------------------------------------------------------------
 *
 * rp_relationship.c
 *	  The relationship catalog: foreign keys, junction tables, and the
 *	  names a fetch may call a relationship by.
 *
 * From a table, three kinds of relationship are found:
 *	- forward: a foreign key of the table; gives one related row (or none);
 *	- reverse: a foreign key of another table (or of the same one, for a
 *	  self-reference) that references it; gives any number of rows;
 *	- many-to-many: a junction table with a foreign key to this table and
 *	  another one to the target, whose columns together make up the
 *	  junction's primary key or one of its unique keys.
 *
 * Names, matched exactly (identifiers as stored, unquoted):
 *	- forward: the FK column (single-column FKs), with or without its
 *	  "_id" suffix, the constraint's name, and the referenced table's name,
 *	  bare or schema-qualified, unless the FK references its own table (a
 *	  comment's "parent" is named by its column only; the table's name and
 *	  the constraint's mean its replies);
 *	- reverse: the referencing table's name, bare or schema-qualified, and
 *	  the constraint's name.  A junction table's name means the
 *	  many-to-many relationship, not the junction's rows (those remain
 *	  reachable by the constraint's name);
 *	- many-to-many: the target's name, the junction's name, the junction's
 *	  name without the source table's name and "_" in front of it (Django
 *	  names blog_post.tags' junction "blog_post_tags", so "tags" works),
 *	  the name of the junction's FK to the target and that FK's column,
 *	  with or without "_id".
 * "via" chooses among relationships that share a name: a constraint name,
 * an FK column (with or without "_id"), or a junction table's name; for a
 * many-to-many relationship, the constraint and columns of the junction's
 * FK to the target.
 *
 * The callers hold AccessShareLock on pg_constraint.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "rp_relationship.h"

uint64		rp_relation_generation = 0;

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

/*
 * Primary key, unique and foreign key constraints of a table (referencing
 * false), or the foreign keys that reference it (referencing true).  Only
 * constraints declared on the table itself: those that partitioning cloned
 * onto partitions are left out.  The caller holds a lock on pg_constraint.
 */
List *
rp_relation_constraints(Oid relid, bool referencing)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	List	   *result = NIL;

	rel = table_open(ConstraintRelationId, NoLock);
	if (referencing)
	{
		/* no index on confrelid: a scan of pg_constraint, on a rare path */
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
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
		RpConstraint *c;
		int			i;

		if (OidIsValid(con->conparentid))
			continue;
		if (referencing ? con->contype != CONSTRAINT_FOREIGN :
			(con->contype != CONSTRAINT_PRIMARY &&
			 con->contype != CONSTRAINT_UNIQUE &&
			 con->contype != CONSTRAINT_FOREIGN))
			continue;

		c = palloc0(sizeof(RpConstraint));
		c->name = pstrdup(NameStr(con->conname));
		c->contype = con->contype;
		c->conrelid = con->conrelid;
		c->confrelid = con->confrelid;
		c->nkeys = rp_read_keys(tuple, RelationGetDescr(rel),
								Anum_pg_constraint_conkey, c->conkey);
		if (c->contype == CONSTRAINT_FOREIGN)
			(void) rp_read_keys(tuple, RelationGetDescr(rel),
								Anum_pg_constraint_confkey, c->confkey);
		for (i = 0; i < c->nkeys; i++)
			c->keyset = bms_add_member(c->keyset, c->conkey[i]);
		if (c->nkeys > 0)
			result = lappend(result, c);
	}

	systable_endscan(scan);
	table_close(rel, NoLock);
	return result;
}

/* Do the columns of a and b together make up a primary or unique key? */
static bool
rp_pair_is_key(List *constraints, RpConstraint *a, RpConstraint *b)
{
	Bitmapset  *both = bms_union(a->keyset, b->keyset);
	ListCell   *lc;

	foreach(lc, constraints)
	{
		RpConstraint *key = (RpConstraint *) lfirst(lc);

		if ((key->contype == CONSTRAINT_PRIMARY ||
			 key->contype == CONSTRAINT_UNIQUE) &&
			bms_equal(key->keyset, both))
			return true;
	}
	return false;
}

/* For a junction table, the foreign key that pairs with fk to form a key */
RpConstraint *
rp_relation_junction_partner(List *constraints, RpConstraint *fk)
{
	ListCell   *lc;

	foreach(lc, constraints)
	{
		RpConstraint *other = (RpConstraint *) lfirst(lc);

		if (other != fk && other->contype == CONSTRAINT_FOREIGN &&
			rp_pair_is_key(constraints, fk, other))
			return other;
	}
	return NULL;
}

/* "schema"."table", quoted as needed; NULL if the relation is gone */
char *
rp_relation_qualified_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	if (relname == NULL || nspname == NULL)
		return NULL;
	return quote_qualified_identifier(nspname, relname);
}

/* names with name added, unless it is there already */
static List *
rp_add_name(List *names, char *name)
{
	if (rp_relation_name_matches(names, name))
		return names;
	return lappend(names, name);
}

/* A table's name, bare and schema.table (unquoted) */
static List *
rp_add_table_names(List *names, Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	/* detection reads the catalogs without locking the tables */
	if (relname == NULL || nspname == NULL)
		return names;
	names = rp_add_name(names, relname);
	return rp_add_name(names, psprintf("%s.%s", nspname, relname));
}

/* A single-column FK's column, with and without its "_id" suffix */
static List *
rp_add_column_names(List *names, RpConstraint *fk)
{
	char	   *attname;
	size_t		len;

	if (fk->nkeys != 1 ||
		(attname = get_attname(fk->conrelid, fk->conkey[0], true)) == NULL)
		return names;
	names = rp_add_name(names, attname);
	len = strlen(attname);
	if (len > 3 && strcmp(attname + len - 3, "_id") == 0)
		names = rp_add_name(names, pnstrdup(attname, len - 3));
	return names;
}

bool
rp_relation_name_matches(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

static RpRelationship *
rp_forward(Oid relid, RpConstraint *fk)
{
	RpRelationship *r = palloc0(sizeof(RpRelationship));

	r->kind = RP_RELATION_FORWARD;
	r->source = relid;
	r->target = fk->confrelid;
	r->fk = fk;
	/* a self-reference's constraint name means the reverse direction */
	r->names = r->target != relid ? list_make1(fk->name) : NIL;
	r->names = rp_add_column_names(r->names, fk);
	if (r->target != relid)
		r->names = rp_add_table_names(r->names, r->target);
	r->vias = rp_add_column_names(r->target != relid ? list_make1(fk->name) : NIL,
								  fk);
	r->description = psprintf("%s (forward, foreign key %s)",
							  rp_relation_qualified_name(r->target),
							  quote_identifier(fk->name));
	return r;
}

static RpRelationship *
rp_reverse(Oid relid, RpConstraint *fk, bool junction)
{
	RpRelationship *r = palloc0(sizeof(RpRelationship));

	r->kind = RP_RELATION_REVERSE;
	r->source = relid;
	r->target = fk->conrelid;
	r->fk = fk;
	r->names = list_make1(fk->name);
	if (!junction)
		r->names = rp_add_table_names(r->names, r->target);
	r->vias = rp_add_column_names(list_make1(fk->name), fk);
	r->description = psprintf("%s (reverse, foreign key %s)",
							  rp_relation_qualified_name(r->target),
							  quote_identifier(fk->name));
	return r;
}

static RpRelationship *
rp_many_to_many(Oid relid, RpConstraint *fk, RpConstraint *target_fk)
{
	RpRelationship *r = palloc0(sizeof(RpRelationship));
	Oid			junction = fk->conrelid;
	char	   *jname = get_rel_name(junction);
	char	   *sname = get_rel_name(relid);
	size_t		slen = sname ? strlen(sname) : 0;

	r->kind = RP_RELATION_MANY_TO_MANY;
	r->source = relid;
	r->target = target_fk->confrelid;
	r->fk = fk;
	r->target_fk = target_fk;
	r->names = rp_add_table_names(NIL, r->target);
	r->names = rp_add_table_names(r->names, junction);
	if (jname != NULL && sname != NULL &&
		strncmp(jname, sname, slen) == 0 && jname[slen] == '_' &&
		jname[slen + 1] != '\0')
		r->names = rp_add_name(r->names, pstrdup(jname + slen + 1));
	r->names = rp_add_column_names(rp_add_name(r->names, target_fk->name),
								   target_fk);
	/* the junction's FK to the target tells apart the two ways of a
	 * junction between a table and itself */
	r->vias = rp_add_table_names(NIL, junction);
	r->vias = rp_add_column_names(rp_add_name(r->vias, target_fk->name),
								  target_fk);
	r->description = psprintf("%s (many-to-many through %s, foreign keys %s and %s)",
							  rp_relation_qualified_name(r->target),
							  rp_relation_qualified_name(junction),
							  quote_identifier(fk->name),
							  quote_identifier(target_fk->name));
	return r;
}

/*
 * Every relationship of table relid: forward ones first, then for each
 * table referencing it, the many-to-many ones through it and the reverse
 * one.
 */
List *
rp_relation_list(Oid relid)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, rp_relation_constraints(relid, false))
	{
		RpConstraint *fk = (RpConstraint *) lfirst(lc);

		if (fk->contype == CONSTRAINT_FOREIGN)
			result = lappend(result, rp_forward(relid, fk));
	}

	foreach(lc, rp_relation_constraints(relid, true))
	{
		RpConstraint *ref = (RpConstraint *) lfirst(lc);
		List	   *theirs = rp_relation_constraints(ref->conrelid, false);
		RpConstraint *fk = NULL;
		bool		junction = false;
		ListCell   *lc2;

		/* the same constraint, as the referencing table lists it */
		foreach(lc2, theirs)
		{
			RpConstraint *c = (RpConstraint *) lfirst(lc2);

			if (c->contype == CONSTRAINT_FOREIGN &&
				strcmp(c->name, ref->name) == 0)
				fk = c;
		}
		if (fk == NULL)
			continue;
		foreach(lc2, theirs)
		{
			RpConstraint *other = (RpConstraint *) lfirst(lc2);

			if (other != fk && other->contype == CONSTRAINT_FOREIGN &&
				rp_pair_is_key(theirs, fk, other))
			{
				result = lappend(result, rp_many_to_many(relid, fk, other));
				junction = true;
			}
		}
		result = lappend(result, rp_reverse(relid, fk, junction));
	}
	return result;
}
