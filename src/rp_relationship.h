/*-------------------------------------------------------------------------
 *
 * rp_relationship.h
 *	  The relationship catalog: how a table is related to others through
 *	  foreign keys, and the names a fetch may call each relationship by.
 *
 * Both halves of relprefetch read it: detection, to say which foreign key
 * an N+1 loop follows, and the fetch functions, to turn a name such as
 * "author", "blog_comment" or "tags" into a join.  Catalog rows are read
 * directly (no SPI).
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
 */
typedef struct RpRelationship
{
	RpRelationKind kind;
	Oid			source;
	Oid			target;
	RpConstraint *fk;
	RpConstraint *target_fk;	/* many-to-many only */
	List	   *names;			/* what the relationship is called (char *) */
	List	   *vias;			/* what "via" may name to choose it */
	char	   *description;	/* for messages */
} RpRelationship;

/*
 * Bumped by every invalidation that can change what the catalogs say about
 * relationships (relcache, constraints, types, casts, schemas; the
 * callbacks are registered by rp_fetch_plan_init): caches of catalog facts
 * compare it with the value they were filled at.
 */
extern uint64 rp_relation_generation;

extern List *rp_relation_constraints(Oid relid, bool referencing);
extern RpConstraint *rp_relation_junction_partner(List *constraints,
												  RpConstraint *fk);
extern char *rp_relation_qualified_name(Oid relid);
extern List *rp_relation_list(Oid relid);
extern bool rp_relation_name_matches(List *names, const char *name);

#endif							/* RP_RELATIONSHIP_H */
