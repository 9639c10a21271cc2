/*-------------------------------------------------------------------------
 *
 * rp_relationship.h
 *	  The relationship model: how a table is related to others through
 *	  foreign keys, what each relationship is called, and when what the
 *	  catalogs say about them changes.
 *
 * It is the one owner of relationships.  Both halves of relprefetch ask
 * it: detection, to say which relationship an N+1 loop follows
 * (rp_relation_for_lookup), and the fetch functions, to turn a name such
 * as "author", "blog_comment" or "tags" into a join (rp_relation_resolve).
 * Callers work with a relationship's properties (to_one, junction, the
 * columns matched on each side), never with its kind, so that a new kind
 * is added in rp_relationship.c alone.  Catalog rows are read directly
 * (no SPI).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_RELATIONSHIP_H
#define RP_RELATIONSHIP_H

#include "postgres.h"

#include "access/attnum.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"

/* A primary key, unique or foreign key constraint */
typedef struct RpConstraint
{
	Oid			oid;
	char	   *name;
	char		contype;
	Oid			conrelid;
	Oid			confrelid;
	int			nkeys;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	Bitmapset  *keyset;			/* conkey as a set */
} RpConstraint;

/* Which way a relationship goes from the table it starts at */
typedef enum RpRelationKind
{
	RP_RELATION_FORWARD,		/* the table's FK: one related row or none */
	RP_RELATION_REVERSE,		/* an FK to the table: any number of rows */
	RP_RELATION_MANY_TO_MANY	/* through a junction table: any number */
} RpRelationKind;

/*
 * A relationship of table "source".  fk is the foreign key followed from
 * the source: its own (forward), another table's that references it
 * (reverse), or the junction's that references it (many-to-many, where
 * target_fk is the junction's other foreign key, to the target).
 *
 * Rows are matched the same way for every kind: the source's columns
 * source_cols equal the columns keyed_cols of keyed_rel, which is the
 * target itself, or the junction (then target_fk's columns of the
 * junction equal its referenced columns of the target).  Values are
 * compared as the foreign key compares them, with the collation of its
 * referenced columns.
 */
typedef struct RpRelationship
{
	RpRelationKind kind;
	Oid			source;
	Oid			target;
	RpConstraint *fk;
	RpConstraint *target_fk;	/* many-to-many only */

	/* properties, for callers */
	bool		to_one;			/* gives one related row or none */
	bool		own_key;		/* fk is the source's own (to_one too) */
	bool		junction;		/* through a junction table (keyed_rel) */
	bool		self_reference; /* fk references the table it is on */
	bool		junction_rows;	/* reverse: the rows of a junction table */
	bool		composite;		/* fk has several columns */
	int			nkeys;			/* columns of fk */
	const AttrNumber *source_cols;
	Oid			keyed_rel;
	const AttrNumber *keyed_cols;
	const AttrNumber *target_cols;	/* many-to-many: the target's columns
									 * target_fk's columns equal */
	bool		target_view;	/* the target is a view over the table the
								 * foreign key names */

	List	   *names;			/* what the relationship is called (char *) */
	List	   *vias;			/* what "via" may name to choose it */
	char	   *description;	/* for messages */
} RpRelationship;

/*
 * Bumped by every invalidation that can change what the catalogs say about
 * relationships (relcache, constraints, schemas): caches of catalog facts
 * compare it with the value they were filled at.
 */
extern uint64 rp_relation_generation;

/* Called with the relation that changed, or InvalidOid for any */
typedef void (*RpRelationChangeCallback) (Oid relid);

extern void rp_relationship_init(void);
extern void rp_relation_on_change(RpRelationChangeCallback callback);

extern List *rp_relation_list(Oid relid);
extern void rp_relation_memo_begin(void);
extern void rp_relation_memo_end(void);
extern List *rp_relation_constraints(Oid relid, bool referencing);
extern bool rp_relation_view_columns(Oid relid, Oid *base, AttrNumber **map,
									 int *natts);
extern bool rp_relation_same_table(Oid a, Oid b);
extern List *rp_relation_views_over(Oid relid);
extern bool rp_relation_name_may_be_view(const char *name);
extern RpRelationship *rp_relation_resolve(Oid relid, const char *name,
										   Oid only_target, const char *via);
extern RpRelationship *rp_relation_for_lookup(Oid relid, Bitmapset *attnos,
											  const Oid *source_relids,
											  int nsource);
extern const char *rp_relation_short_name(const RpRelationship *r);
extern bool rp_relation_needs_via(const RpRelationship *r);
extern char *rp_relation_qualified_name(Oid relid);
extern char *rp_relation_column_list(Oid relid, const AttrNumber *attnos,
									 int n);
extern char *rp_relation_field_name(const RpConstraint *fk);
extern bool rp_relation_columns_related(Oid rela, AttrNumber a, Oid relb,
										AttrNumber b);
extern bool rp_relation_name_matches(List *names, const char *name);

#endif							/* RP_RELATIONSHIP_H */
