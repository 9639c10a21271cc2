/*-------------------------------------------------------------------------
 *
 * rp_catalog.h
 *	  Relationships between tables, read from the system catalogs.
 *
 * When a query shape repeats, relprefetch looks at the plan of the repeated
 * statement to find which relation it reads and by which columns, and at
 * the foreign keys to tell what the loop was following: a forward foreign
 * key (one lookup of the referenced row per referencing row), a reverse one
 * (the children of one parent at a time), or a many-to-many relationship
 * through a junction table.  This runs only when a repeat is detected,
 * never on the common path.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_CATALOG_H
#define RP_CATALOG_H

#include "postgres.h"

#include "nodes/plannodes.h"

#include "rp_stats.h"

/*
 * Fill info's relid, relation, foreign_key and suggestion for a repeated
 * statement of shape fingerprint.  source_relids are the relations read by
 * the statement that ran before the loop (the "1" of N+1, of shape
 * source_fingerprint, 0 if none), used to choose among several foreign
 * keys; nsource may be 0.  Descriptions are cached per backend.
 */
extern void rp_describe_repeat(PlannedStmt *stmt, uint64 fingerprint,
							   uint64 source_fingerprint,
							   const Oid *source_relids, int nsource,
							   RpRepeatInfo *info);

#endif							/* RP_CATALOG_H */
