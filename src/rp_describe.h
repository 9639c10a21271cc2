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

/*
 * Describe a repeated statement of shape fingerprint into desc.
 * source_relids are the relations read by the statement that ran before
 * the loop (the "1" of N+1, of shape source_fingerprint, 0 if none), used
 * to choose among several foreign keys; nsource may be 0.  Descriptions
 * are cached per backend.
 */
extern void rp_describe_repeat(PlannedStmt *stmt, uint64 fingerprint,
							   uint64 source_fingerprint,
							   const Oid *source_relids, int nsource,
							   RpRepeatDesc *desc);

extern bool rp_describe_key_relates(PlannedStmt *stmt, Oid relid,
									AttrNumber attnum);

#endif							/* RP_DESCRIBE_H */
