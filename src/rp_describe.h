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

/* A statement being described: its plan, and its text */
typedef struct RpStatement
{
	PlannedStmt *stmt;
	const char *text;			/* not terminated; may be NULL */
	int			len;
} RpStatement;

/*
 * Describe a repeated statement of shape fingerprint into desc.
 * source_relids are the relations read by the statement that ran before
 * the loop (the "1" of N+1, of shape source_fingerprint, 0 if none), used
 * to choose among several foreign keys; nsource may be 0.  Descriptions
 * are cached per backend.
 */
extern void rp_describe_repeat(const RpStatement *st, uint64 fingerprint,
							   uint64 source_fingerprint,
							   const Oid *source_relids, int nsource,
							   RpRepeatDesc *desc);

extern bool rp_describe_key_relates(const RpStatement *st, Oid relid,
									AttrNumber attnum);

#endif							/* RP_DESCRIBE_H */
