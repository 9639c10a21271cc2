/*-------------------------------------------------------------------------
 *
 * rp_fetch_exec.h
 *	  Running a planned fetch: batches of parent rows, their related rows,
 *	  and the output, one parent row at a time.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FETCH_EXEC_H
#define RP_FETCH_EXEC_H

#include "postgres.h"

#include "nodes/execnodes.h"

#include "rp_fetch_plan.h"

typedef struct RpFetch RpFetch;

/* Set while a fetch runs its queries: the executor hooks leave them alone */
extern int	rp_fetch_depth;

extern RpFetch *rp_fetch_begin(RpFetchPlan *plan, ExprContext *econtext);
extern bool rp_fetch_next_json(RpFetch *fetch, Datum *result);
extern bool rp_fetch_next_children(RpFetch *fetch, Datum *parent,
								   Datum *children);
extern void rp_fetch_end(RpFetch *fetch);

#endif							/* RP_FETCH_EXEC_H */
