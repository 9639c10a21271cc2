/*-------------------------------------------------------------------------
 *
 * rp_hooks.c
 *	  Executor and utility hooks that feed the unit-of-work counters.
 *
 * ExecutorStart counts the statement in the current unit of work (before
 * the executor starts, so that relprefetch.on_detect = error stops the
 * statement that reaches the threshold) and remembers the execution until
 * ExecutorEnd, which adds its run time.
 *
 * Which statements count:
 *	- with relprefetch.track = top, those at nesting level 0: sent by the
 *	  client, or run by EXECUTE, which the client sent; statements run by
 *	  functions, procedures and DO blocks are nested (ExecutorRun,
 *	  ExecutorFinish and ProcessUtility raise the level, restored by
 *	  PG_FINALLY whatever happens);
 *	- never in parallel workers: the leader counts the statement once;
 *	- never for EXPLAIN without ANALYZE, which does not run the statement.
 * relprefetch runs no SQL of its own (catalog rows are read directly), so
 * no statement of ours can be counted or re-enter these hooks.
 *
 * An execution is remembered in a small record allocated in the query's
 * own memory context, with a reset callback that unlinks it: if the query
 * fails and ExecutorEnd never runs, the record disappears with the context
 * instead of being matched to a later query at the same address.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "lib/ilist.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "relprefetch.h"
#include "rp_hooks.h"
#include "rp_unit.h"

/* A counted execution, from ExecutorStart to ExecutorEnd */
typedef struct RpInflight
{
	dlist_node	node;
	QueryDesc  *queryDesc;
	RpExecution exec;
	bool		linked;			/* still in rp_inflight */
	MemoryContextCallback callback;
} RpInflight;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Depth of statements running inside other statements */
static int	rp_nesting_level = 0;

/* Executions counted and not yet ended, newest first */
static dlist_head rp_inflight = DLIST_STATIC_INIT(rp_inflight);

static void rp_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void rp_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
						   uint64 count, bool execute_once);
static void rp_ExecutorFinish(QueryDesc *queryDesc);
static void rp_ExecutorEnd(QueryDesc *queryDesc);
static void rp_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

void
rp_hooks_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = rp_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = rp_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = rp_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = rp_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = rp_ProcessUtility;
}

static inline bool
rp_should_count(int eflags)
{
	return rp_enabled &&
		(rp_nesting_level == 0 || rp_track == RP_TRACK_ALL) &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		!IsParallelWorker();
}

static void
rp_inflight_forget(void *arg)
{
	RpInflight *inflight = (RpInflight *) arg;

	if (inflight->linked)
	{
		dlist_delete(&inflight->node);
		inflight->linked = false;
	}
}

/* Remember a counted execution until its ExecutorEnd */
static void
rp_inflight_add(QueryDesc *queryDesc, const RpExecution *exec)
{
	MemoryContext cxt = queryDesc->estate->es_query_cxt;
	RpInflight *inflight;

	inflight = MemoryContextAlloc(cxt, sizeof(RpInflight));
	inflight->queryDesc = queryDesc;
	inflight->exec = *exec;
	inflight->linked = true;
	inflight->callback.func = rp_inflight_forget;
	inflight->callback.arg = inflight;
	MemoryContextRegisterResetCallback(cxt, &inflight->callback);
	dlist_push_head(&rp_inflight, &inflight->node);

	/* the executor times the query when it has somewhere to put the time */
	if (queryDesc->totaltime == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cxt);

		queryDesc->totaltime = InstrAlloc(1, INSTRUMENT_TIMER, false);
		MemoryContextSwitchTo(oldcxt);
	}
}

/* The record of a counted execution, unlinked; NULL if it was not counted */
static RpInflight *
rp_inflight_take(QueryDesc *queryDesc)
{
	dlist_iter	iter;

	dlist_foreach(iter, &rp_inflight)
	{
		RpInflight *inflight = dlist_container(RpInflight, node, iter.cur);

		if (inflight->queryDesc == queryDesc)
		{
			rp_inflight_forget(inflight);
			return inflight;
		}
	}
	return NULL;
}

static void
rp_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	RpExecution exec;
	bool		counted = false;

	if (rp_should_count(eflags))
		counted = rp_unit_count(queryDesc, &exec);

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (counted)
		rp_inflight_add(queryDesc, &exec);
}

static void
rp_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
			   bool execute_once)
{
	rp_nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		rp_nesting_level--;
	}
	PG_END_TRY();
}

static void
rp_ExecutorFinish(QueryDesc *queryDesc)
{
	rp_nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		rp_nesting_level--;
	}
	PG_END_TRY();
}

static void
rp_ExecutorEnd(QueryDesc *queryDesc)
{
	RpInflight *inflight = NULL;

	if (!dlist_is_empty(&rp_inflight))
		inflight = rp_inflight_take(queryDesc);
	if (inflight != NULL && queryDesc->totaltime != NULL)
	{
		InstrEndLoop(queryDesc->totaltime);
		rp_unit_finish(&inflight->exec, queryDesc->totaltime->total * 1000.0);
	}

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/* DISCARD ALL and RESET ALL: a pooler handing the session to a new client */
static bool
rp_ends_unit(Node *parsetree)
{
	if (IsA(parsetree, DiscardStmt))
		return ((DiscardStmt *) parsetree)->target == DISCARD_ALL;
	if (IsA(parsetree, VariableSetStmt))
		return ((VariableSetStmt *) parsetree)->kind == VAR_RESET_ALL;
	return false;
}

static void
rp_call_utility(PlannedStmt *pstmt, const char *queryString,
				bool readOnlyTree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *queryEnv,
				DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static void
rp_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (rp_ends_unit(parsetree))
		rp_unit_end();

	/* EXECUTE runs its statement as if the client had sent it */
	if (IsA(parsetree, ExecuteStmt))
	{
		rp_call_utility(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc);
		return;
	}

	rp_nesting_level++;
	PG_TRY();
	{
		rp_call_utility(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		rp_nesting_level--;
	}
	PG_END_TRY();
}
