/*-------------------------------------------------------------------------
 *
 * rp_unit.h
 *	  Units of work and the counting of query shapes inside them.
 *
 * A unit of work is an explicit transaction block, or a burst of autocommit
 * statements of one session separated by less than relprefetch.unit_gap of
 * idle time.  Each backend counts, in local memory, how often each query
 * fingerprint runs in its current unit; a fingerprint reaching
 * relprefetch.threshold is a repeat, recorded in the shared table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_UNIT_H
#define RP_UNIT_H

#include "postgres.h"

#include "executor/execdesc.h"

/* Relations of a statement remembered to explain a later loop */
#define RP_MAX_SOURCE_RELS	4

/* One query shape counted in the current unit */
typedef struct RpUnitQuery
{
	uint64		fingerprint;	/* hash key */
	char		status;			/* used by simplehash */
	bool		repeated;		/* reached the threshold in this unit */
	int64		calls;			/* executions started in this unit */
	int64		shared_base;	/* of those, run before the shared entry was
								 * last created (by a reset mid-unit) */
	double		total_time;		/* ms of finished executions not yet shared */
	uint64		predecessor;	/* shape that ran just before its first run */
	char	   *text;			/* text of its first execution */
	int			text_len;
	int			nrelids;
	Oid			relids[RP_MAX_SOURCE_RELS];	/* relations it reads */
} RpUnitQuery;

/* What ExecutorEnd needs to know about an execution that was counted */
typedef struct RpExecution
{
	uint64		fingerprint;
	Oid			userid;			/* user it was counted for */
	uint64		unit_id;		/* the unit it was counted in */
	bool		shared;			/* counted in the shared table */
} RpExecution;

typedef void (*RpUnitVisitor) (const RpUnitQuery *query, void *arg);

extern bool rp_unit_count(QueryDesc *queryDesc, RpExecution *exec);
extern void rp_unit_finish(const RpExecution *exec, double ms);
extern void rp_unit_end(void);
extern void rp_unit_foreach(RpUnitVisitor visitor, void *arg);

#endif							/* RP_UNIT_H */
