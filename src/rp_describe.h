/*-------------------------------------------------------------------------
 *
 * rp_describe.h
 *	  Describing a detected loop: which relationship it follows, and the
 *	  call that would replace it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_DESCRIBE_H
#define RP_DESCRIBE_H

#include "postgres.h"

#include "nodes/plannodes.h"

#include "rp_stats.h"
#include "rp_unit.h"

/* A statement being described: its plan, and its text */
typedef struct RpStatement
{
	PlannedStmt *stmt;
	const char *text;			/* not terminated; may be NULL */
	int			len;
} RpStatement;

/*
 * The scope of a proven loop's parent rows, from its source query
 * (rp_describe_source.c): SQL over the parent table's columns, NULL when
 * none (parent_order_by is order_by over fetch_children's "parent"
 * column); limit and offset -1 when none.  unexpressed is a sentence saying
 * what the call could not say of the source, NULL when it says all.
 */
typedef struct RpSourceScope
{
	char	   *where;
	char	   *order_by;
	char	   *parent_order_by;
	int64		limit;
	int64		offset;
	char	   *unexpressed;
} RpSourceScope;

/*
 * Describe a repeated statement of shape fingerprint into desc.  source is
 * the statement that started the loop (the "1" of N+1), NULL if none, and
 * proof what proved the loop, NULL if it was recorded without proof; a
 * proven loop's call reads only the source's parent rows.  source_relids
 * are relations the source read, used to choose among several foreign
 * keys; nsource may be 0.  Descriptions are cached per backend.
 */
extern void rp_describe_repeat(const RpStatement *st, uint64 fingerprint,
							   RpUnitQuery *source,
							   const RpProof *proof,
							   const Oid *source_relids, int nsource,
							   RpRepeatDesc *desc);

extern bool rp_describe_key_relates(const RpStatement *st, Oid relid,
									AttrNumber attnum);
extern char *rp_describe_proof(const RpProof *proof, PlannedStmt *plan_keys);

/* rp_describe_source.c */
extern bool rp_source_constants_current(RpUnitQuery *source);
extern void rp_source_scope(const char *source, bool cut_short,
							bool constants_current, Oid parent,
							RpSourceScope *scope);

#endif							/* RP_DESCRIBE_H */
