/*-------------------------------------------------------------------------
 *
 * rp_hooks.c
 *	  Executor and utility hooks that feed the unit-of-work counters.
 *
 * ExecutorStart counts the statement in the current unit of work (before
 * the executor starts, so that relprefetch.on_detect = error stops the
 * statement that reaches the threshold) and remembers the execution until
 * ExecutorEnd, which adds its time: from the start of ExecutorStart to
 * ExecutorEnd, read from the clock twice.  (Asking the executor to time
 * the query through queryDesc->totaltime would cost more, and would take
 * the place where pg_stat_statements puts its buffer and WAL counters.)
 * With relprefetch.require_proof, ExecutorRun passes the rows of a counted
 * statement through rp_proof.c's receiver, for the proof of later loops;
 * otherwise it only chains to the previous hook.
 *
 * Which statements count:
 *	- with relprefetch.track = top, those the client sent.  A statement is
 *	  the client's when its text is the query string the backend is
 *	  running for the client (debug_query_string: the same pointer for the
 *	  simple protocol, the same text for the extended one), or when it is
 *	  the prepared statement (same text) of a top-level EXECUTE.  Statements
 *	  run by functions, procedures, triggers and DO blocks have texts of
 *	  their own and are nested.  This costs a pointer comparison, where a
 *	  nesting depth would need ExecutorRun and ExecutorFinish hooks with
 *	  PG_TRY blocks around every execution (about a sixth of our cost per
 *	  statement).  The little state it needs (the EXECUTE's text, the
 *	  position of a wrapping statement) is set by ProcessUtility and put
 *	  back by its PG_FINALLY, on the utility path only.
 *	  A client statement that wraps a query (EXPLAIN ANALYZE, CREATE TABLE
 *	  AS, DECLARE CURSOR) counts as that statement, with its own text.
 *	- only statements that set the command tag: the extra statements that
 *	  rules add to a client statement are not counted again;
 *	- never in parallel workers: the leader counts the statement once;
 *	- never in the sessions Citus opens from other nodes (what it sends to
 *	  its shards is its own work, whatever the client asked);
 *	- never for EXPLAIN without ANALYZE, which does not run the statement.
 * Detection runs no SQL of its own (catalog rows are read directly).  The
 * fetch functions do (rp_fetch_exec.c): their queries have texts of their
 * own, so they are nested, and even with track = all they are not counted
 * while rp_fetch_depth says a fetch is running them.
 *
 * An execution is remembered in a small record, taken from a pool, whose
 * reset callback is registered on the query's memory context: if the query
 * fails and ExecutorEnd never runs, the callback unlinks the record when
 * the context goes, so it cannot be matched to a later query at the same
 * address.  A record goes back to the pool only from that callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "commands/prepare.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "portability/instr_time.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/guc.h"

#include "rp_citus.h"
#include "rp_compat.h"
#include "rp_fetch.h"
#include "rp_fingerprint.h"
#include "rp_hooks.h"
#include "rp_proof.h"
#include "rp_unit.h"

/* A counted execution, from ExecutorStart to ExecutorEnd */
typedef struct RpInflight RpInflight;
struct RpInflight
{
	RpInflight *next;			/* in rp_inflight, or in rp_inflight_free */
	RpInflight *prev;			/* in rp_inflight */
	QueryDesc  *queryDesc;
	RpExecution exec;
	instr_time	start;
	bool		linked;			/* in rp_inflight */
	bool		pooled;			/* from rp_inflight_pool */
	bool		capture;		/* its rows may be kept (rp_ExecutorRun) */
	MemoryContextCallback callback;
	RpCaptureReceiver receiver; /* its rows' way to the proof */
};

/* What relprefetch.track accepts */
typedef enum RpTrackLevel
{
	RP_TRACK_TOP,				/* only statements issued by the client */
	RP_TRACK_ALL				/* also statements nested in functions */
} RpTrackLevel;

static const struct config_enum_entry rp_track_options[] = {
	{"top", RP_TRACK_TOP, false},
	{"all", RP_TRACK_ALL, false},
	{NULL, 0, false}
};

/* Records for this many executions at once come from the pool */
#define RP_INFLIGHT_POOL	16

/* Settings */
static bool rp_enabled = true;
static int	rp_track = RP_TRACK_TOP;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * Executions counted and not yet ended, newest first; and the pool's free
 * records.  Lists of our own, without a header node: every statement
 * counted goes through them twice, and a test for NULL is all they need.
 */
static RpInflight *rp_inflight = NULL;
static RpInflight *rp_inflight_free = NULL;
static RpInflight rp_inflight_pool[RP_INFLIGHT_POOL];
static int	rp_inflight_pool_used = 0;	/* records ever taken from the pool */

/* Of them, those whose rows may be kept: ExecutorRun's only test otherwise */
static int	rp_inflight_capturing = 0;

/* Text of the prepared statement that a top-level EXECUTE is running */
static const char *rp_execute_text = NULL;

/*
 * Position in the client's query string of the utility statement running
 * now (-1 when none), for the query it wraps: PostgreSQL 15 gives that query
 * the whole string as its position.
 */
static int	rp_utility_location = -1;
static int	rp_utility_len = 0;

static void rp_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void rp_ExecutorRun(RP_EXECUTOR_RUN_ARGS);
static void rp_ExecutorEnd(QueryDesc *queryDesc);
static void rp_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

/*
 * Define the settings of detection's hooks, and install the hooks when the
 * library is preloaded.
 */
void
rp_hooks_init(void)
{
	DefineCustomBoolVariable("relprefetch.enabled",
							 "Counts repeated query shapes to detect N+1 patterns.",
							 NULL,
							 &rp_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("relprefetch.track",
							 "Which statements are counted: top (sent by the client) or all (also those nested in functions).",
							 NULL,
							 &rp_track,
							 RP_TRACK_TOP,
							 rp_track_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = rp_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = rp_ExecutorRun;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = rp_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = rp_ProcessUtility;
}

/* Is this the query string the backend is running for the client? */
static inline bool
rp_is_client_text(const char *text)
{
	return text == debug_query_string ||
		(text != NULL && debug_query_string != NULL &&
		 strcmp(text, debug_query_string) == 0);
}

/*
 * The text to count for a statement, or NULL if it is not counted: nested
 * statements count only with relprefetch.track = all.
 */
static inline const char *
rp_counted_text(QueryDesc *queryDesc, int *len)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	const char *text = queryDesc->sourceText;
	int			location = stmt->stmt_location;
	int			length = stmt->stmt_len;

	if (rp_is_client_text(text))
	{
		/* a query wrapped by a utility statement: that statement's place */
		if (rp_utility_location >= 0 && location <= 0 && length == 0)
		{
			location = rp_utility_location;
			length = rp_utility_len;
		}
		return rp_statement_text(text, location, length, len);
	}
	/* ExecuteQuery hands the executor a copy of the prepared text */
	if (rp_execute_text != NULL && text != NULL &&
		strcmp(text, rp_execute_text) == 0)
	{
		rp_execute_text = NULL;
		return rp_prepared_text(text, len);
	}
	/* a fetch's own queries are not the caller's: never counted */

	/*
	 * Nor are the queries of foreign key checks: PostgreSQL runs them, and
	 * only them, with row-level security's FORCE ignored.
	 */
	if (rp_track == RP_TRACK_ALL && text != NULL && rp_fetch_depth == 0 &&
		!InNoForceRLSOperation())
		return rp_statement_text(text, location, length, len);
	return NULL;
}

/* Take an execution's record out of rp_inflight */
static inline void
rp_inflight_unlink(RpInflight *inflight)
{
	if (inflight->prev != NULL)
		inflight->prev->next = inflight->next;
	else
		rp_inflight = inflight->next;
	if (inflight->next != NULL)
		inflight->next->prev = inflight->prev;
}

/* A query freed before its ExecutorEnd: it failed, or its portal was dropped */
static pg_noinline void
rp_inflight_abandon(RpInflight *inflight)
{
	rp_inflight_unlink(inflight);
	if (inflight->capture)
		rp_inflight_capturing--;
	rp_unit_abandon(&inflight->exec);
}

/* The query's memory context is going: its record goes back to the pool */
static void
rp_inflight_release(void *arg)
{
	RpInflight *inflight = (RpInflight *) arg;

	if (unlikely(inflight->linked))
		rp_inflight_abandon(inflight);
	if (inflight->pooled)
	{
		inflight->next = rp_inflight_free;
		rp_inflight_free = inflight;
	}
}

/*
 * May the rows of a counted execution be kept, for the proof of later loops
 * (relprefetch.require_proof)?  Not when its shape's layout, made for these
 * rows, keeps no column: most lookups return no column that can hold a key.
 */
static inline bool
rp_inflight_may_capture(QueryDesc *queryDesc, const RpExecution *exec)
{
	RpCaptureLayout *layout;

	if (!rp_require_proof)
		return false;
	layout = rp_unit_layout(exec);
	return layout == NULL ||
		!rp_proof_layout_keeps_none(layout, queryDesc->tupDesc);
}

/* Remember a counted execution until its ExecutorEnd */
static void
rp_inflight_add(QueryDesc *queryDesc, const RpExecution *exec,
				instr_time start)
{
	MemoryContext cxt = queryDesc->estate->es_query_cxt;
	RpInflight *inflight;

	if (rp_inflight_free != NULL)
	{
		inflight = rp_inflight_free;
		rp_inflight_free = inflight->next;
		inflight->pooled = true;
	}
	else if (rp_inflight_pool_used < RP_INFLIGHT_POOL)
	{
		inflight = &rp_inflight_pool[rp_inflight_pool_used++];
		inflight->pooled = true;
	}
	else
	{
		inflight = MemoryContextAlloc(cxt, sizeof(RpInflight));
		inflight->pooled = false;
	}
	inflight->queryDesc = queryDesc;
	inflight->exec = *exec;
	inflight->start = start;
	inflight->linked = true;
	inflight->capture = rp_inflight_may_capture(queryDesc, exec);
	if (inflight->capture)
		rp_inflight_capturing++;
	inflight->callback.func = rp_inflight_release;
	inflight->callback.arg = inflight;
	MemoryContextRegisterResetCallback(cxt, &inflight->callback);
	inflight->prev = NULL;
	inflight->next = rp_inflight;
	if (rp_inflight != NULL)
		rp_inflight->prev = inflight;
	rp_inflight = inflight;
}

/* The record of a counted execution; NULL if it was not counted */
static RpInflight *
rp_inflight_find(QueryDesc *queryDesc)
{
	RpInflight *inflight;

	for (inflight = rp_inflight; inflight != NULL; inflight = inflight->next)
	{
		if (inflight->queryDesc == queryDesc)
			return inflight;
	}
	return NULL;
}

/* The record of a counted execution, unlinked; NULL if it was not counted */
static RpInflight *
rp_inflight_take(QueryDesc *queryDesc)
{
	RpInflight *inflight = rp_inflight_find(queryDesc);

	if (inflight != NULL)
	{
		rp_inflight_unlink(inflight);
		inflight->linked = false;
		if (inflight->capture)
			rp_inflight_capturing--;
	}
	return inflight;
}

static void
rp_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	RpExecution exec;
	bool		counted = false;
	instr_time	start;
	const char *text;
	int			len;

	if (rp_enabled &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
		!IsParallelWorker() &&
		!rp_citus_internal_session() &&
		queryDesc->plannedstmt->canSetTag &&
		(text = rp_counted_text(queryDesc, &len)) != NULL)
	{
		INSTR_TIME_SET_CURRENT(start);
		counted = rp_unit_count(queryDesc, text, len, &exec);
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (counted)
		rp_inflight_add(queryDesc, &exec, start);
}

/*
 * Have this run's rows kept on their way, if its execution was counted and
 * may keep them; returns its record, or NULL when they are not kept.
 */
static pg_noinline RpInflight *
rp_capture_begin(QueryDesc *queryDesc)
{
	RpInflight *inflight = rp_inflight_find(queryDesc);
	RpCaptureLayout *layout;
	RpCaptureLayout scratch;

	if (inflight == NULL || !inflight->capture)
		return NULL;
	layout = rp_unit_layout(&inflight->exec);
	if (layout == NULL)
	{
		rp_proof_layout_init(&scratch);
		layout = &scratch;
	}
	if (!rp_proof_capture(queryDesc, &inflight->receiver, layout,
						  rp_unit_current(), inflight->exec.fingerprint,
						  inflight->exec.seq))
		return NULL;
	return inflight;
}

/* ExecutorRun as it would run without us */
static inline void
rp_run_next(RP_EXECUTOR_RUN_ARGS)
{
	if (prev_ExecutorRun)
		prev_ExecutorRun(RP_EXECUTOR_RUN_PASS);
	else
		standard_ExecutorRun(RP_EXECUTOR_RUN_PASS);
}

/* A run whose rows may be kept: through the capturing receiver, if so */
static pg_noinline void
rp_run_capturing(RP_EXECUTOR_RUN_ARGS)
{
	RpInflight *inflight = rp_capture_begin(queryDesc);

	rp_run_next(RP_EXECUTOR_RUN_PASS);
	if (inflight != NULL)
		rp_proof_capture_done(queryDesc);
}

/*
 * With relprefetch.require_proof, the rows a counted statement returns
 * (each FETCH of a cursor too) are kept for the proof of later loops
 * (rp_proof.c).  The receiver is put back after the run; after an error
 * the query is gone, or its portal sets its receiver again before the next
 * FETCH.  Any other run costs one test, and goes on without a frame of
 * ours.
 */
static void
rp_ExecutorRun(RP_EXECUTOR_RUN_ARGS)
{
	if (unlikely(rp_inflight_capturing > 0))
		rp_run_capturing(RP_EXECUTOR_RUN_PASS);
	else
		rp_run_next(RP_EXECUTOR_RUN_PASS);
}

static void
rp_ExecutorEnd(QueryDesc *queryDesc)
{
	RpInflight *inflight = NULL;

	if (rp_inflight != NULL)
		inflight = rp_inflight_take(queryDesc);
	if (inflight != NULL)
	{
		/* not on the stack: a local whose address is taken costs a guard */
		static instr_time elapsed;

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, inflight->start);
		rp_unit_finish(&inflight->exec, INSTR_TIME_GET_MILLISEC(elapsed));
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

/* ProcessUtility as it would run without us */
static inline void
rp_utility_next(PlannedStmt *pstmt, const char *queryString,
				bool readOnlyTree, ProcessUtilityContext context,
				ParamListInfo params, QueryEnvironment *queryEnv,
				DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree,
								context, params, queryEnv, dest, qc);
}

/*
 * A utility statement other than BEGIN, COMMIT and their kin: it may run a
 * query (EXPLAIN ANALYZE, CREATE TABLE AS, EXECUTE), which is counted with
 * the utility statement's place in the client's text, and an EXECUTE's with
 * the prepared text.  Both are put back as they were when it ends, also by
 * an error: a frame of its own, which the others do without.
 */
static pg_noinline void
rp_utility_wrapping(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc, bool from_client)
{
	Node	   *parsetree = pstmt->utilityStmt;
	const char *save_execute_text = rp_execute_text;
	int			save_location = rp_utility_location;
	int			save_len = rp_utility_len;

	rp_execute_text = NULL;
	rp_utility_location = -1;
	if (from_client)
	{
		rp_utility_location = Max(pstmt->stmt_location, 0);
		rp_utility_len = pstmt->stmt_len;

		/* its statement is the client's, though its text is the PREPARE's */
		if (IsA(parsetree, ExecuteStmt))
		{
			PreparedStatement *prepared =
			FetchPreparedStatement(((ExecuteStmt *) parsetree)->name,
								   false);

			if (prepared != NULL)
				rp_execute_text = prepared->plansource->query_string;
		}
	}

	PG_TRY();
	{
		rp_utility_next(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		/* the EXECUTE's text may be freed once it is over */
		rp_execute_text = save_execute_text;
		rp_utility_location = save_location;
		rp_utility_len = save_len;
	}
	PG_END_TRY();
}

static void
rp_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		from_client = rp_is_client_text(queryString);

	if (rp_ends_unit(parsetree))
		rp_unit_end();

	/*
	 * BEGIN, COMMIT and their kin wrap no query of the client's: they go on
	 * without rp_utility_wrapping's frame, which every transaction block
	 * would pay twice.
	 */
	if (IsA(parsetree, TransactionStmt))
	{
		TransactionStmtKind kind = ((TransactionStmt *) parsetree)->kind;

		/* the next statements are an explicit transaction block */
		if (from_client &&
			(kind == TRANS_STMT_BEGIN || kind == TRANS_STMT_START))
			rp_unit_note_begin();
		rp_utility_next(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc);
	}
	else
		rp_utility_wrapping(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc, from_client);
}
