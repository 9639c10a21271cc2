/*-------------------------------------------------------------------------
 *
 * rp_describe_internal.h
 *	  What the files of the describer share: the facts found in a
 *	  repeated statement's plan (or text), for rp_describe.c to word.
 *
 * For rp_describe.c, rp_describe_plan.c and rp_describe_text.c only; the
 * rest of relprefetch uses rp_describe.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_DESCRIBE_INTERNAL_H
#define RP_DESCRIBE_INTERNAL_H

#include "postgres.h"

#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "nodes/plannodes.h"

#include "rp_describe.h"

/* Columns of one relation compared with values that vary per execution */
typedef struct RpKeyLookup
{
	Oid			relid;
	Bitmapset  *attnos;
} RpKeyLookup;

/* The quals of one scan of a relation, for the loop's other conditions */
typedef struct RpScanQuals
{
	Oid			relid;
	Index		scanrelid;
	List	   *quals;
} RpScanQuals;

/* What a plan walk finds */
typedef struct RpPlanFacts
{
	List	   *lookups;		/* RpKeyLookup */
	List	   *scans;			/* RpScanQuals */
	bool		hidden;			/* a Custom Scan hides what it reads */
	bool		other_conds;	/* from the text: conditions besides keys */
} RpPlanFacts;

/* rp_describe_plan.c */
extern void rp_collect(const RpStatement *st, bool subplans,
					   RpPlanFacts *facts);
extern bool rp_qual_key(Node *qual, PlannedStmt *stmt, IndexOnlyScan *ios,
						Oid *relid, AttrNumber *attno);
extern Oid	rp_declared_table(Oid relid, AttrNumber *attno);
extern void rp_add_lookup(List **lookups, Oid relid, AttrNumber attno);

/* rp_describe_text.c */
extern void rp_text_lookups(const RpStatement *st, RpPlanFacts *facts);

#endif							/* RP_DESCRIBE_INTERNAL_H */
