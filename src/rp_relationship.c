/*-------------------------------------------------------------------------
 *
 * rp_relationship.c
 *	  The relationship model: foreign keys, junction tables, the names a
 *	  relationship is called by, and the invalidations that change them.
 *
 * From a table, three kinds of relationship are found:
 *	- forward: a foreign key of the table; gives one related row (or none);
 *	- reverse: a foreign key of another table (or of the same one, for a
 *	  self-reference) that references it; gives any number of rows, or
 *	  one or none when a primary or unique key of the referencing table
 *	  holds only the foreign key's columns (reverse one-to-one);
 *	- many-to-many: a junction table with a foreign key to this table and
 *	  another one to the target, whose columns are all part of one of the
 *	  junction's keys, primary or unique (which may hold other columns:
 *	  PostgREST's rule).
 * Any of them may be composite (a foreign key of several columns) and
 * self-referencing.  Each kind is made by one constructor below, which
 * sets the properties callers go by (RpRelationship): a new kind is added
 * here alone.  A partition has its ancestors' foreign keys as well, and a
 * simple view its table's relationships, for the columns it shows
 * (rp_relationship_catalog.c reads both; rp_view_relations below).
 *
 * Names, matched exactly (identifiers as stored, unquoted):
 *	- forward: the FK column (single-column FKs), with or without its
 *	  "_id" suffix, the constraint's name, and the referenced table's name,
 *	  bare or schema-qualified, unless the FK references its own table (a
 *	  comment's "parent" is named by its column only; the table's name and
 *	  the constraint's mean its replies);
 *	- reverse: the referencing table's name, bare or schema-qualified, the
 *	  constraint's name, and the referenced column of the source
 *	  (single-column FKs; PostgREST's "country?select=id(name)").  A
 *	  junction table's name means its own rows, as in PostgREST;
 *	- many-to-many: the target's name, the junction's name without the
 *	  source table's name and "_" in front of it (Django names
 *	  blog_post.tags' junction "blog_post_tags", so "tags" works), the
 *	  name of the junction's FK to the target and that FK's column, with
 *	  or without "_id".  The junction's own name is a "via" only.
 * Column names are the source's own (a view's, for a view).  "via" chooses
 * among relationships that share a name, of any kinds: a constraint name,
 * a column of the FK on either side (single-column FKs: the referencing
 * one with or without "_id", or the referenced one), or a junction
 * table's name; for a many-to-many relationship, the constraint and
 * columns of the junction's FK to the target.
 *
 * Invalidations: the relcache and the pg_constraint and pg_namespace
 * caches tell of every change that can alter a relationship or its names.
 * Each bumps rp_relation_generation, which caches of relationship facts
 * (detection's descriptions, the fetch plan cache) compare with, and is
 * passed on to the callbacks registered with rp_relation_on_change.  The
 * callbacks are registered by rp_relationship_init, from _PG_init, so that
 * no change is missed whichever half runs first.
 *
 * The callers hold AccessShareLock on pg_constraint, or read it knowing
 * that a table may be dropped under them (detection locks no table).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "rp_relationship.h"

/* What ends a foreign key's column, the field being the rest */
#define RP_FK_COLUMN_SUFFIX			"_id"

/* Views over views followed, at most */
#define RP_VIEW_MAX_DEPTH			16

/* Callbacks that rp_relation_on_change can hold */
#define RP_RELATION_MAX_LISTENERS	4

uint64		rp_relation_generation = 0;

/*
 * The relationships of the tables a fetch resolves names on, kept while
 * the fetch is planned (rp_relation_memo_begin/end): a table with several
 * includes is read once, not once per include.  Its lists are in the
 * planning's memory, which the plan keeps; dropped when the catalogs change
 * meanwhile, and by the next planning if an error cut this one short.
 */
typedef struct RpRelationMemo
{
	Oid			relid;
	List	   *relations;
} RpRelationMemo;

static bool rp_memo_active = false;
static List *rp_memo = NIL;
static uint64 rp_memo_generation = 0;

static RpRelationChangeCallback rp_listeners[RP_RELATION_MAX_LISTENERS];
static int	rp_nlisteners = 0;
static bool rp_callbacks_registered = false;

static List *rp_add_column_names(List *names, Oid relid,
								 const AttrNumber *cols, int n,
								 bool with_field);
static List *rp_relation_list_at(Oid relid, int depth);

static void
rp_relation_changed(Oid relid)
{
	int			i;

	rp_relation_generation++;
	for (i = 0; i < rp_nlisteners; i++)
		rp_listeners[i] (relid);
}

static void
rp_relcache_callback(Datum arg, Oid relid)
{
	rp_relation_changed(relid);
}

static void
rp_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	rp_relation_changed(InvalidOid);
}

/* Called by _PG_init: caches must hear of every change from the start */
void
rp_relationship_init(void)
{
	if (rp_callbacks_registered)
		return;
	CacheRegisterRelcacheCallback(rp_relcache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(CONSTROID, rp_syscache_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, rp_syscache_callback,
								  (Datum) 0);
	rp_callbacks_registered = true;
}

/*
 * Have callback told of every change to relationships, after
 * rp_relation_generation has been bumped.  For the subsystems' init
 * functions, called once each from _PG_init.
 */
void
rp_relation_on_change(RpRelationChangeCallback callback)
{
	if (rp_nlisteners >= RP_RELATION_MAX_LISTENERS)
		elog(ERROR, "too many relationship change callbacks");
	rp_listeners[rp_nlisteners++] = callback;
}

/*
 * Are the columns of a and b (two foreign keys of one table) all part of
 * one of its keys, primary or unique, which may hold other columns too?
 */
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
			bms_is_subset(both, key->keyset))
			return true;
	}
	return false;
}

/*
 * Does a key of the table, primary or unique, hold only columns of fk?
 * Then at most one of its rows references a row.
 */
static bool
rp_fk_is_unique(List *constraints, RpConstraint *fk)
{
	ListCell   *lc;

	foreach(lc, constraints)
	{
		RpConstraint *key = (RpConstraint *) lfirst(lc);

		if ((key->contype == CONSTRAINT_PRIMARY ||
			 key->contype == CONSTRAINT_UNIQUE) &&
			bms_is_subset(key->keyset, fk->keyset))
			return true;
	}
	return false;
}

/* For a junction table, the foreign key that pairs with fk to form a key */
static RpConstraint *
rp_junction_partner(List *constraints, RpConstraint *fk)
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

/*
 * The name of the field a single-column foreign key stands for, as ORMs
 * name it: its column without the "_id" suffix ("author_id" is Django's
 * and Rails' "author"), or the column's name when it has no such suffix;
 * NULL when the key has several columns or the column is gone.
 */
char *
rp_relation_field_name(const RpConstraint *fk)
{
	List	   *names = rp_add_column_names(NIL, fk->conrelid, fk->conkey,
											fk->nkeys, true);

	return names != NIL ? (char *) llast(names) : NULL;
}

/*
 * Column attnum of relid, with and without its "_id" suffix (with_field),
 * when n is 1: a single column
 */
static List *
rp_add_column_names(List *names, Oid relid, const AttrNumber *cols, int n,
					bool with_field)
{
	char	   *attname;
	size_t		len;
	size_t		suffix = strlen(RP_FK_COLUMN_SUFFIX);

	/* detection reads the catalogs without locking the tables */
	if (n != 1 || (attname = get_attname(relid, cols[0], true)) == NULL)
		return names;
	names = rp_add_name(names, attname);
	len = strlen(attname);
	if (with_field && len > suffix &&
		strcmp(attname + len - suffix, RP_FK_COLUMN_SUFFIX) == 0)
		names = rp_add_name(names, pnstrdup(attname, len - suffix));
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

/* A relationship of source, matched on its columns source_cols */
static RpRelationship *
rp_relation_new(RpRelationKind kind, Oid source, const AttrNumber *source_cols,
				RpConstraint *fk)
{
	RpRelationship *r = palloc0(sizeof(RpRelationship));

	r->kind = kind;
	r->source = source;
	r->fk = fk;
	r->source_cols = source_cols;
	r->self_reference = rp_relation_same_table(fk->conrelid, fk->confrelid);
	r->composite = fk->nkeys > 1;
	r->nkeys = fk->nkeys;
	return r;
}

static RpRelationship *
rp_forward(Oid source, const AttrNumber *cols, RpConstraint *fk)
{
	RpRelationship *r = rp_relation_new(RP_RELATION_FORWARD, source, cols, fk);

	r->target = fk->confrelid;
	r->to_one = true;
	r->own_key = true;
	r->keyed_rel = r->target;
	r->keyed_cols = fk->confkey;
	/* a self-reference's constraint name means the reverse direction */
	r->names = !r->self_reference ? list_make1(fk->name) : NIL;
	r->names = rp_add_column_names(r->names, source, cols, fk->nkeys, true);
	if (!r->self_reference)
		r->names = rp_add_table_names(r->names, r->target);
	r->vias = rp_add_column_names(!r->self_reference ? list_make1(fk->name) : NIL,
								  source, cols, fk->nkeys, true);
	r->vias = rp_add_column_names(r->vias, r->target, fk->confkey, fk->nkeys,
								  false);
	r->description = psprintf("%s (forward, foreign key %s)",
							  rp_relation_qualified_name(r->target),
							  quote_identifier(fk->name));
	return r;
}

/*
 * to_one: a key of the referencing table holds only the foreign key's
 * columns (reverse one-to-one)
 */
static RpRelationship *
rp_reverse(Oid source, const AttrNumber *cols, RpConstraint *fk,
		   bool junction, bool to_one)
{
	RpRelationship *r = rp_relation_new(RP_RELATION_REVERSE, source, cols, fk);

	r->target = fk->conrelid;
	r->to_one = to_one;
	r->junction_rows = junction;
	r->keyed_rel = r->target;
	r->keyed_cols = fk->conkey;
	r->names = rp_add_table_names(list_make1(fk->name), r->target);
	/* the referenced column, PostgREST's "country?select=id(name)" */
	r->names = rp_add_column_names(r->names, source, cols, fk->nkeys, false);
	r->vias = rp_add_column_names(list_make1(fk->name), fk->conrelid,
								  fk->conkey, fk->nkeys, true);
	r->vias = rp_add_column_names(r->vias, source, cols, fk->nkeys, false);
	r->description = psprintf("%s (%s, foreign key %s)",
							  rp_relation_qualified_name(r->target),
							  to_one ? "reverse one-to-one" : "reverse",
							  quote_identifier(fk->name));
	return r;
}

/* names with the junction's name less "<table>_" for a table of source's */
static List *
rp_add_field_name(List *names, const char *jname, Oid source, Oid referenced)
{
	Oid			tables[2] = {source, referenced};
	int			i;

	for (i = 0; i < 2 && jname != NULL; i++)
	{
		char	   *sname = get_rel_name(tables[i]);
		size_t		slen = sname ? strlen(sname) : 0;

		if (sname != NULL && strncmp(jname, sname, slen) == 0 &&
			jname[slen] == '_' && jname[slen + 1] != '\0')
			names = rp_add_name(names, pstrdup(jname + slen + 1));
	}
	return names;
}

static RpRelationship *
rp_many_to_many(Oid source, const AttrNumber *cols, RpConstraint *fk,
				RpConstraint *target_fk)
{
	RpRelationship *r = rp_relation_new(RP_RELATION_MANY_TO_MANY, source,
										cols, fk);
	Oid			junction = fk->conrelid;

	r->target = target_fk->confrelid;
	r->target_fk = target_fk;
	r->target_cols = target_fk->confkey;
	r->junction = true;
	r->keyed_rel = junction;
	r->keyed_cols = fk->conkey;
	r->names = rp_add_table_names(NIL, r->target);
	r->names = rp_add_field_name(r->names, get_rel_name(junction), source,
								 fk->confrelid);
	r->names = rp_add_column_names(rp_add_name(r->names, target_fk->name),
								   junction, target_fk->conkey,
								   target_fk->nkeys, true);

	/*
	 * the junction's FK to the target tells apart the two ways of a junction
	 * between a table and itself
	 */
	r->vias = rp_add_table_names(NIL, junction);
	r->vias = rp_add_column_names(rp_add_name(r->vias, target_fk->name),
								  junction, target_fk->conkey,
								  target_fk->nkeys, true);
	r->description = psprintf("%s (many-to-many through %s, foreign keys %s and %s)",
							  rp_relation_qualified_name(r->target),
							  rp_relation_qualified_name(junction),
							  quote_identifier(fk->name),
							  quote_identifier(target_fk->name));
	return r;
}

/*
 * The relationships of a view that qualifies (rp_relationship_catalog.c):
 * those of the relation it reads, base, whose columns on the view's side
 * it shows (map: the base column of each of its columns), matched on its
 * own columns.
 */
static List *
rp_view_relations(Oid view, Oid base, const AttrNumber *map, int natts,
				  int depth)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, rp_relation_list_at(base, depth + 1))
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);
		AttrNumber *cols = palloc0(sizeof(AttrNumber) * r->nkeys);
		int			i;
		int			j;

		for (i = 0; i < r->nkeys; i++)
		{
			for (j = 0; j < natts && map[j] != r->source_cols[i]; j++)
				;
			if (j == natts)
				break;
			cols[i] = j + 1;
		}
		if (i < r->nkeys)
			continue;			/* the view does not show its columns */
		if (r->kind == RP_RELATION_FORWARD)
			result = lappend(result, rp_forward(view, cols, r->fk));
		else if (r->kind == RP_RELATION_REVERSE)
			result = lappend(result,
							 rp_reverse(view, cols, r->fk, r->junction_rows,
										r->to_one));
		else
			result = lappend(result,
							 rp_many_to_many(view, cols, r->fk, r->target_fk));
	}
	return result;
}

/*
 * Every relationship of table relid: forward ones first, then for each
 * table referencing it, the many-to-many ones through it and the reverse
 * one.  A view that qualifies has its relation's (rp_view_relations);
 * depth counts the views on the way, so that a broken chain cannot loop.
 */
static List *
rp_relation_list_at(Oid relid, int depth)
{
	List	   *result = NIL;
	ListCell   *lc;
	Oid			base;
	AttrNumber *map;
	int			natts;

	check_stack_depth();
	if (depth < RP_VIEW_MAX_DEPTH &&
		rp_relation_view_columns(relid, &base, &map, &natts))
		return rp_view_relations(relid, base, map, natts, depth);

	foreach(lc, rp_relation_constraints(relid, false))
	{
		RpConstraint *fk = (RpConstraint *) lfirst(lc);

		if (fk->contype == CONSTRAINT_FOREIGN)
			result = lappend(result, rp_forward(relid, fk->conkey, fk));
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

			if (c->oid == ref->oid)
				fk = c;
		}
		if (fk == NULL)
			continue;
		/* referencing an ancestor of partition relid, as relid's columns */
		fk->confrelid = ref->confrelid;
		memcpy(fk->confkey, ref->confkey, sizeof(AttrNumber) * fk->nkeys);
		foreach(lc2, theirs)
		{
			RpConstraint *other = (RpConstraint *) lfirst(lc2);

			if (other != fk && other->contype == CONSTRAINT_FOREIGN &&
				rp_pair_is_key(theirs, fk, other))
			{
				result = lappend(result,
								 rp_many_to_many(relid, fk->confkey, fk, other));
				junction = true;
			}
		}
		result = lappend(result,
						 rp_reverse(relid, fk->confkey, fk, junction,
									rp_fk_is_unique(theirs, fk)));
	}
	return result;
}

List *
rp_relation_list(Oid relid)
{
	return rp_relation_list_at(relid, 0);
}

/* Keep the relationship lists read by rp_relation_resolve from now on */
void
rp_relation_memo_begin(void)
{
	rp_memo_active = true;
	rp_memo = NIL;
	rp_memo_generation = rp_relation_generation;
}

void
rp_relation_memo_end(void)
{
	rp_memo_active = false;
	rp_memo = NIL;
}

/* relid's relationships, read once while a fetch is planned */
static List *
rp_relation_list_memo(Oid relid)
{
	RpRelationMemo *memo;
	ListCell   *lc;

	if (!rp_memo_active)
		return rp_relation_list(relid);
	if (rp_memo_generation != rp_relation_generation)
	{
		rp_memo = NIL;
		rp_memo_generation = rp_relation_generation;
	}
	foreach(lc, rp_memo)
	{
		memo = (RpRelationMemo *) lfirst(lc);
		if (memo->relid == relid)
			return memo->relations;
	}
	memo = palloc(sizeof(RpRelationMemo));
	memo->relid = relid;
	memo->relations = rp_relation_list(relid);
	/* reading them may have taken in a change */
	if (rp_memo_generation == rp_relation_generation)
		rp_memo = lappend(rp_memo, memo);
	return memo->relations;
}

/*
 * r, led to view, a view over its target that qualifies: NULL if the view
 * does not show the target's columns r is matched on.  Named by the
 * view's name alone, so that a view's coming cannot make a name that
 * meant the table's relationship ambiguous.
 */
static RpRelationship *
rp_view_target(const RpRelationship *r, Oid view)
{
	Oid			base;
	AttrNumber *map;
	int			natts;
	const AttrNumber *cols = r->junction ? r->target_cols : r->keyed_cols;
	AttrNumber *mapped = palloc0(sizeof(AttrNumber) * r->nkeys);
	RpRelationship *v;
	int			i;
	int			j;

	if (!rp_relation_view_columns(view, &base, &map, &natts))
		return NULL;
	for (i = 0; i < r->nkeys; i++)
	{
		for (j = 0; j < natts && map[j] != cols[i]; j++)
			;
		if (j == natts)
			return NULL;
		mapped[i] = j + 1;
	}
	v = palloc(sizeof(RpRelationship));
	*v = *r;
	v->target = view;
	v->target_view = true;
	if (r->junction)
		v->target_cols = mapped;
	else
	{
		v->keyed_rel = view;
		v->keyed_cols = mapped;
	}
	v->names = rp_add_table_names(NIL, view);
	v->description = psprintf("%s (a view of %s)",
							  rp_relation_qualified_name(view),
							  r->description);
	return v;
}

/*
 * relations, and each of them again led to every view over its target
 * that qualifies and shows its columns.  For the fetch functions only:
 * views are opened (detection locks no table).
 */
static List *
rp_add_view_targets(List *relations)
{
	List	   *result = list_copy(relations);
	ListCell   *lc;

	foreach(lc, relations)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, rp_relation_views_over(r->target))
		{
			RpRelationship *v = rp_view_target(r, lfirst_oid(lc2));

			if (v != NULL)
				result = lappend(result, v);
		}
	}
	return result;
}

/* The relationship of list that follows fk (and target_fk), by OIDs */
static RpRelationship *
rp_relation_find(List *relationships, RpRelationKind kind, Oid fk,
				 Oid target_fk)
{
	ListCell   *lc;

	foreach(lc, relationships)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);

		if (r->kind == kind && r->fk->oid == fk &&
			(r->target_fk ? r->target_fk->oid : InvalidOid) == target_fk)
			return r;
	}
	return NULL;
}

/*
 * Is name r's referenced column (single-column keys)?  It names and
 * chooses r, but reads as a column: hints and short names leave it out.
 */
static bool
rp_is_referenced_column(const RpRelationship *r, const char *name, bool via)
{
	char	   *referenced;
	char	   *referencing;

	if (r->nkeys != 1 || r->kind == RP_RELATION_MANY_TO_MANY)
		return false;
	if (r->kind == RP_RELATION_FORWARD)
	{
		referenced = get_attname(r->fk->confrelid, r->fk->confkey[0], true);
		referencing = get_attname(r->source, r->source_cols[0], true);
	}
	else
	{
		referenced = get_attname(r->source, r->source_cols[0], true);
		referencing = get_attname(r->fk->conrelid, r->fk->conkey[0], true);
	}

	/*
	 * among the names, only a reverse relationship's; among the vias, a name
	 * both columns have is the referencing column's too
	 */
	if (!via)
		return r->kind == RP_RELATION_REVERSE && referenced != NULL &&
			strcmp(referenced, name) == 0;
	return referenced != NULL && strcmp(referenced, name) == 0 &&
		(referencing == NULL || strcmp(referencing, name) != 0);
}

/* Has r a name other than its constraint's and its referenced column? */
static bool
rp_has_other_name(const RpRelationship *r)
{
	ListCell   *lc;

	foreach(lc, r->names)
	{
		const char *name = (const char *) lfirst(lc);

		if (strcmp(name, r->fk->name) != 0 &&
			!rp_is_referenced_column(r, name, false))
			return true;
	}
	return false;
}

/* "author_id / author / blog_author: public.blog_author (forward, ...)" */
static char *
rp_relations_hint(List *relations, bool vias)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, relations)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);
		ListCell   *lc2;
		int			n = 0;

		if (buf.len > 0)
			appendStringInfoString(&buf, "; ");
		foreach(lc2, vias ? r->vias : r->names)
		{
			char	   *name = (char *) lfirst(lc2);

			/* the bare names read best; the others are in the README */
			if (rp_is_referenced_column(r, name, vias) ||
				(!vias && (strchr(name, '.') != NULL ||
						   (strcmp(name, r->fk->name) == 0 &&
							rp_has_other_name(r)))))
				continue;
			appendStringInfo(&buf, "%s%s", n++ > 0 ? " / " : "", name);
		}
		appendStringInfo(&buf, ": %s", r->description);
	}
	return buf.len > 0 ? buf.data : "(none)";
}

/*
 * The relationship of table relid that a fetch names: by name, or for
 * fetch_children by its target (only_target, any kind but forward); "via"
 * (or NULL) chooses among several.  An error unless exactly one fits.
 */
RpRelationship *
rp_relation_resolve(Oid relid, const char *name, Oid only_target,
					const char *via)
{
	List	   *all = rp_relation_list_memo(relid);
	List	   *named = NIL;
	List	   *chosen = NIL;
	ListCell   *lc;
	char	   *relname = rp_relation_qualified_name(relid);
	bool		views;

	/*
	 * A relationship led to a view is named by the view's name: the views
	 * over every target are looked for only when a view may be meant (and for
	 * the hint of an error).
	 */
	if (OidIsValid(only_target))
	{
		views = get_rel_relkind(only_target) == RELKIND_VIEW;
		name = rp_relation_qualified_name(only_target);
	}
	else
		views = rp_relation_name_may_be_view(name);
	if (views)
		all = rp_add_view_targets(all);
	foreach(lc, all)
	{
		RpRelationship *r = (RpRelationship *) lfirst(lc);

		if (OidIsValid(only_target) ?
			(r->target == only_target && r->kind != RP_RELATION_FORWARD) :
			rp_relation_name_matches(r->names, name))
			named = lappend(named, r);
	}
	if (named == NIL && !views)
		all = rp_add_view_targets(all);
	if (named == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 OidIsValid(only_target) ?
				 errmsg("no foreign key relates %s to the rows of %s",
						name, relname) :
				 errmsg("%s has no relationship \"%s\"", relname, name),
				 OidIsValid(only_target) ?
				 errhint("fetch_children follows a foreign key of the child table to the parent table, or a junction table with foreign keys to both.") :
				 errhint("Its relationships: %s.", rp_relations_hint(all, false))));

	if (via == NULL)
		chosen = named;
	else
	{
		foreach(lc, named)
		{
			RpRelationship *r = (RpRelationship *) lfirst(lc);

			if (rp_relation_name_matches(r->vias, via))
				chosen = lappend(chosen, r);
		}
		if (chosen == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no relationship \"%s\" of %s goes via \"%s\"",
							name, relname, via),
					 errhint("\"via\" may name: %s.",
							 rp_relations_hint(named, true))));
	}
	if (list_length(chosen) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_ALIAS),
				 errmsg("relationship \"%s\" of %s is ambiguous",
						name, relname),
				 errdetail("It may be: %s.", rp_relations_hint(chosen, false)),
				 errhint("Choose one with \"via\", naming: %s.",
						 rp_relations_hint(chosen, true))));
	return (RpRelationship *) linitial(chosen);
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

/*
 * The foreign key referencing key (columns of relid) that best explains a
 * lookup by it: the one of a table the source statement read, else the
 * only one.
 */
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

/*
 * The relationship that a statement looking up rows of relid by the
 * columns attnos (compared with values that change from one execution to
 * the next) follows, seen from the table whose rows the loop was over;
 * NULL when no foreign key explains the lookup.  source_relids are the
 * tables the statement before the loop read, which choose among several
 * foreign keys.
 *	- forward: relid is looked up by a key that a foreign key references;
 *	- reverse: relid is searched by the columns of one of its foreign
 *	  keys;
 *	- many-to-many: the same, where relid is a junction table.
 */
RpRelationship *
rp_relation_for_lookup(Oid relid, Bitmapset *attnos,
					   const Oid *source_relids, int nsource)
{
	List	   *constraints = rp_relation_constraints(relid, false);
	ListCell   *lc;

	foreach(lc, constraints)
	{
		RpConstraint *key = (RpConstraint *) lfirst(lc);
		RpConstraint *fk;

		if ((key->contype != CONSTRAINT_PRIMARY &&
			 key->contype != CONSTRAINT_UNIQUE) ||
			!bms_is_subset(key->keyset, attnos))
			continue;
		fk = rp_pick_referencing_fk(relid, key->keyset, source_relids,
									nsource);
		if (fk != NULL)
			return rp_relation_find(rp_relation_list(fk->conrelid),
									RP_RELATION_FORWARD, fk->oid,
									InvalidOid);
	}

	foreach(lc, constraints)
	{
		RpConstraint *fk = (RpConstraint *) lfirst(lc);
		RpConstraint *partner;
		RpRelationship *r;

		if (fk->contype != CONSTRAINT_FOREIGN ||
			!bms_is_subset(fk->keyset, attnos))
			continue;
		partner = rp_junction_partner(constraints, fk);
		r = rp_relation_find(rp_relation_list(fk->confrelid),
							 partner ? RP_RELATION_MANY_TO_MANY :
							 RP_RELATION_REVERSE,
							 fk->oid, partner ? partner->oid : InvalidOid);
		if (r != NULL)
			return r;
	}
	return NULL;
}

/*
 * The shortest name that means only r among its source's relationships:
 * its constraint's name if no shorter one does (for a many-to-many one,
 * the name of the junction's foreign key to the target: the other names
 * the junction's rows).
 */
const char *
rp_relation_short_name(const RpRelationship *r)
{
	List	   *all = rp_relation_list(r->source);
	const char *best = r->junction ? r->target_fk->name : r->fk->name;
	ListCell   *lc;

	foreach(lc, r->names)
	{
		const char *name = (const char *) lfirst(lc);
		ListCell   *lc2;
		int			matches = 0;

		/* a reverse one by the referenced column reads as a column */
		if (strchr(name, '.') != NULL || strlen(name) >= strlen(best) ||
			rp_is_referenced_column(r, name, false))
			continue;
		foreach(lc2, all)
			matches += rp_relation_name_matches(((RpRelationship *) lfirst(lc2))->names,
												name);
		if (matches == 1)
			best = name;
	}
	return best;
}

/*
 * Must fetch_children be told "via" to follow r: do other relationships of
 * its source give rows of the same target?
 */
bool
rp_relation_needs_via(const RpRelationship *r)
{
	ListCell   *lc;
	int			same = 0;

	foreach(lc, rp_relation_list(r->source))
	{
		RpRelationship *other = (RpRelationship *) lfirst(lc);

		if (other->kind != RP_RELATION_FORWARD && other->target == r->target)
			same++;
	}
	return same > 1;
}

/* "a, b" for the named columns of a relation */
char *
rp_relation_column_list(Oid relid, const AttrNumber *attnos, int n)
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

/* Does a single-column foreign key of rela on column a reference b of relb? */
static bool
rp_fk_references(Oid rela, AttrNumber a, Oid relb, AttrNumber b)
{
	ListCell   *lc;

	foreach(lc, rp_relation_constraints(rela, false))
	{
		RpConstraint *c = (RpConstraint *) lfirst(lc);

		if (c->contype == CONSTRAINT_FOREIGN && c->nkeys == 1 &&
			c->conkey[0] == a && c->confrelid == relb && c->confkey[0] == b)
			return true;
	}
	return false;
}

/*
 * Are column a of rela and column b of relb the same column, or related by
 * a single-column foreign key either way?  The values of one are then the
 * values of the other by design, not by chance.  The caller holds
 * AccessShareLock on pg_constraint.
 */
bool
rp_relation_columns_related(Oid rela, AttrNumber a, Oid relb, AttrNumber b)
{
	if (rela == relb && a == b)
		return true;
	return rp_fk_references(rela, a, relb, b) ||
		rp_fk_references(relb, b, rela, a);
}
