/*-------------------------------------------------------------------------
 *
 * rp_unit.c
 *	  Units of work and the counting of query shapes inside them.
 *
 * All state here is local to the backend: a hash table from fingerprint to
 * RpUnitQuery, and the text of one execution of each shape (kept so that
 * the statement before a loop can be shown as its source).  Nothing on the
 * common path touches shared memory; only a shape at or past the threshold
 * reaches rp_stats.
 *
 * Most units are a single autocommit statement, so ending one must cost
 * nothing: entries are not cleared but carry the number of the unit their
 * counters belong to, and are reset when first counted in a later unit.
 * The table (and the texts) are only thrown away, at a unit boundary, once
 * they hold more than RP_UNIT_KEEP_QUERIES shapes.
 *
 * Executions of a shape that has repeated go, as each one finishes, with
 * its time, to the backend's pending slot in shared memory (rp_stats_count:
 * no lock, yet seen by the view at once), folded into the shared table
 * when the unit ends or the backend exits.
 *
 * Unit boundaries are found lazily, when the next statement is counted:
 *	- statements of one transaction are always in one unit: the statements
 *	  nested in one client statement, those of a multi-statement query
 *	  string, those inside savepoints and PL/pgSQL exception blocks;
 *	- a transaction that BEGIN started (rp_unit_note_begin) is a unit of its
 *	  own: an explicit transaction block;
 *	- any other transaction (autocommit) joins the current autocommit unit
 *	  if it starts less than relprefetch.unit_gap after the previous counted
 *	  statement ended, and starts a new one otherwise;
 *	- DISCARD ALL and RESET ALL end the unit at once (rp_unit_end).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "rp_describe.h"
#include "rp_compat.h"
#include "rp_fingerprint.h"
#include "rp_relationship.h"
#include "rp_stats.h"
#include "rp_unit.h"
#include "rp_unit_internal.h"

/*
 * The table holds at most this many shapes: a batch job running thousands
 * of different statements in one transaction must not make the backend's
 * memory grow without bound.  Later new shapes in that unit are not counted.
 */
#define RP_UNIT_MAX_QUERIES		5000

/* Shapes kept from unit to unit; past that the table starts afresh */
#define RP_UNIT_KEEP_QUERIES	1024
#define RP_UNIT_INITIAL_SIZE	64

static const struct config_enum_entry rp_on_detect_options[] = {
	{"none", RP_ON_DETECT_NONE, false},
	{"log", RP_ON_DETECT_LOG, false},
	{"notice", RP_ON_DETECT_NOTICE, false},
	{"warning", RP_ON_DETECT_WARNING, false},
	{"error", RP_ON_DETECT_ERROR, false},
	{NULL, 0, false}
};

/* Settings, and their defaults */
#define RP_THRESHOLD_DEFAULT	5
#define RP_UNIT_GAP_DEFAULT		50	/* ms */

static int	rp_threshold = RP_THRESHOLD_DEFAULT;
int			rp_on_detect = RP_ON_DETECT_NONE;
static int	rp_unit_gap = RP_UNIT_GAP_DEFAULT;

RpUnitState rp_unit = {RP_UNIT_NONE, 0, 0, 0, 1};

static void rp_unit_setup(void);
static void rp_unit_boundary(void);
static void rp_unit_begin(RpUnitKind kind);
static void rp_unit_query_create(RpUnitQuery *q, const char *text, int len,
								 PlannedStmt *stmt);
static void rp_unit_query_enter(RpUnitQuery *q);
static void rp_unit_repeat(RpUnitQuery *q, QueryDesc *queryDesc,
						   const char *text, int len, RpExecution *exec);
static void rp_unit_repeat_again(RpUnitQuery *q, QueryDesc *queryDesc,
								 const char *text, int len,
								 RpExecution *exec);
static void rp_unit_at_exit(int code, Datum arg);

/* Define the settings of units of work and of what a repeat triggers */
void
rp_unit_init(void)
{
	DefineCustomIntVariable("relprefetch.threshold",
							"Executions of one query shape in a unit of work that make it an N+1 suspect.",
							NULL,
							&rp_threshold,
							RP_THRESHOLD_DEFAULT,
							2, INT_MAX,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("relprefetch.on_detect",
							 "What happens when a query shape reaches the threshold in a unit of work.",
							 NULL,
							 &rp_on_detect,
							 RP_ON_DETECT_NONE,
							 rp_on_detect_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("relprefetch.unit_gap",
							"Idle time that ends a unit of work made of autocommit statements.",
							NULL,
							&rp_unit_gap,
							RP_UNIT_GAP_DEFAULT,
							0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static void
rp_unit_setup(void)
{
	rp_unit.cxt = AllocSetContextCreate(TopMemoryContext,
										"relprefetch unit of work",
										ALLOCSET_DEFAULT_SIZES);
	rp_unit.text_cxt = AllocSetContextCreate(rp_unit.cxt,
											 "relprefetch unit texts",
											 ALLOCSET_DEFAULT_SIZES);
	rp_unit.queries = rpunit_create(rp_unit.cxt, RP_UNIT_INITIAL_SIZE, NULL);
	before_shmem_exit(rp_unit_at_exit, (Datum) 0);
}

/* End the current unit; the next counted statement starts another */
void
rp_unit_end(void)
{
	if (rp_unit.pending && rp_stats_pending_due())
	{
		rp_stats_pending_fold();
		rp_unit.pending = false;
	}
	rp_unit.kind = RP_UNIT_NONE;
	rp_unit.last_fingerprint = 0;
	rp_unit.id++;

	if (rp_unit.queries != NULL &&
		rp_unit.queries->members > RP_UNIT_KEEP_QUERIES)
	{
		rpunit_destroy(rp_unit.queries);
		rp_unit.generation++;
		MemoryContextReset(rp_unit.text_cxt);
		rp_unit.queries = rpunit_create(rp_unit.cxt, RP_UNIT_INITIAL_SIZE,
										NULL);
	}
}

static void
rp_unit_begin(RpUnitKind kind)
{
	rp_unit_end();
	rp_unit.kind = kind;
	rp_unit.last_activity = GetCurrentStatementStartTimestamp();
}

/* BEGIN or START TRANSACTION: the current transaction is a block */
void
rp_unit_note_begin(void)
{
	rp_unit.begin_lxid = rp_my_lxid();
}

/* End the current unit if the statement about to be counted is not in it */
static void
rp_unit_boundary(void)
{
	TimestampTz stmt_start = GetCurrentStatementStartTimestamp();
	LocalTransactionId lxid = rp_my_lxid();

	if (rp_unit.kind != RP_UNIT_NONE && lxid == rp_unit.lxid)
		;						/* same transaction, same unit */
	else if (lxid == rp_unit.begin_lxid)
		rp_unit_begin(RP_UNIT_BLOCK);
	else if (rp_unit.kind != RP_UNIT_AUTOCOMMIT ||
			 stmt_start - rp_unit.last_activity >
			 (TimestampTz) rp_unit_gap * 1000)
		rp_unit_begin(RP_UNIT_AUTOCOMMIT);
	rp_unit.lxid = lxid;

	/* until it ends, a statement is at least as recent as its start */
	if (stmt_start > rp_unit.last_activity)
		rp_unit.last_activity = stmt_start;
}

/* A shape new to the table: keep its text and the relations it reads */
static void
rp_unit_query_create(RpUnitQuery *q, const char *text, int len,
					 PlannedStmt *stmt)
{
	ListCell   *lc;

	q->unit_id = 0;
	q->ref = NULL;
	q->described = 0;
	q->fits_relid = InvalidOid;
	rp_proof_layout_init(&q->layout);
	q->execs = NULL;
	q->first_pending = false;
	q->first_keys.nkeys = 0;

	/* keep what the view shows of a query: the server's query text size */
	if (len >= pgstat_track_activity_query_size)
		len = pg_mbcliplen(text, len,
						   pgstat_track_activity_query_size - 1);
	q->text = MemoryContextAlloc(rp_unit.text_cxt, len + 1);
	memcpy(q->text, text, len);
	q->text[len] = '\0';
	q->text_len = len;
	q->text_unit = rp_unit.id;
	q->text_keys_state = RP_TEXT_KEYS_UNKNOWN;
	q->text_keys = NULL;

	q->nrelids = 0;
	foreach(lc, stmt->relationOids)
	{
		if (q->nrelids == RP_MAX_SOURCE_RELS)
			break;
		q->relids[q->nrelids++] = lfirst_oid(lc);
	}
	/* Citus's plans list none: its range table has them */
	if (stmt->relationOids == NIL)
	{
		foreach(lc, stmt->rtable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

			if (q->nrelids == RP_MAX_SOURCE_RELS)
				break;
			if (rte->rtekind == RTE_RELATION)
				q->relids[q->nrelids++] = rte->relid;
		}
	}
}

/* The shape's first execution in the current unit: start its counters */
static void
rp_unit_query_enter(RpUnitQuery *q)
{
	q->unit_id = rp_unit.id;
	q->repeated = false;
	q->calls = 0;
	q->shared_base = 0;
	q->pending_hint = -1;
	q->total_time = 0.0;
	q->predecessor = rp_unit.last_fingerprint;
	q->proven = false;
	q->unproven_counted = false;
	q->next_check = rp_threshold;
	q->nexecs = 0;
}

/* The number of the current unit, for what is kept per unit */
uint64
rp_unit_current(void)
{
	return rp_unit.id;
}

/*
 * The entry of a counted execution's shape, while it holds that unit's
 * counters; NULL when the unit ended or the table was made afresh under a
 * statement that is still running.
 */
static inline RpUnitQuery *
rp_unit_exec_query(const RpExecution *exec)
{
	RpUnitQuery *q;

	if (exec->unit_id != rp_unit.id)
		return NULL;
	q = (exec->generation == rp_unit.generation) ? exec->query :
		rpunit_lookup(rp_unit.queries, exec->fingerprint);
	return (q != NULL && q->unit_id == exec->unit_id) ? q : NULL;
}

/* The layout of the rows of a counted execution's shape, for the proof */
RpCaptureLayout *
rp_unit_layout(const RpExecution *exec)
{
	RpUnitQuery *q = rp_unit_exec_query(exec);

	return q != NULL ? &q->layout : NULL;
}

/*
 * Does a statement read a table of the user's, or call a function of the
 * user's (which may)?  Statements that read only system catalogs (an
 * ORM's introspection) or nothing at all (a "SELECT 1" ping) are never
 * counted.  The planner lists the user's functions a plan calls in its
 * invalidation items, and built-in ones not at all.
 */
static inline bool
rp_unit_reads_user_data(PlannedStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->relationOids)
	{
		if (lfirst_oid(lc) >= FirstNormalObjectId)
			return true;
	}
	foreach(lc, stmt->invalItems)
	{
		if (((PlanInvalItem *) lfirst(lc))->cacheId == PROCOID)
			return true;
	}
	/* a plan that lists no relations may still read some (Citus's) */
	if (stmt->relationOids == NIL)
	{
		foreach(lc, stmt->rtable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

			if (rte->rtekind == RTE_RELATION &&
				rte->relid >= FirstNormalObjectId)
				return true;
		}
	}
	return false;
}

/*
 * What tells statements apart before their text is read, for the
 * fingerprint cache to choose where to look: the command, the relations,
 * and the plan's top nodes and columns.  An ORM's statements on one table
 * begin with the same column list, so the text's first bytes alone would
 * put them all in one place.
 */
static inline uint32
rp_unit_shape_hint(PlannedStmt *stmt)
{
	Plan	   *plan = stmt->planTree;
	uint32		hint = (uint32) stmt->commandType << 28;

	hint ^= (uint32) list_length(stmt->rtable) << 24;
	if (plan != NULL)
	{
		hint ^= (uint32) nodeTag(plan) << 16;
		hint ^= (uint32) list_length(plan->targetlist) << 8;
		if (plan->lefttree != NULL)
			hint ^= (uint32) nodeTag(plan->lefttree) << 12;
	}
	if (stmt->relationOids != NIL)
		hint ^= linitial_oid(stmt->relationOids) * 0x9e3779b1;
	return hint;
}

static bool rp_unit_defer_keys(RpUnitQuery *q, const char *text,
							   const RpConstSpan *spans, int nspans);

/* Keep the key values of the shape's execution, for its proof */
static void
rp_unit_keep_keys(RpUnitQuery *q, QueryDesc *queryDesc, const char *text,
				  const RpConstSpan *spans, int nspans, uint64 seq)
{
	RpExecKeys *keys;

	if (q->calls == 1)
	{
		keys = &q->first_keys;
		q->first_pending = false;
	}
	else
	{
		if (q->execs == NULL)
			q->execs = MemoryContextAlloc(rp_unit.text_cxt,
										  sizeof(RpExecKeys) * RP_PROOF_EXECS);
		if (q->nexecs == 0)
			q->execs[q->nexecs++] = *rp_unit_first_keys(q);
		if (q->nexecs >= RP_PROOF_EXECS)
			return;
		keys = &q->execs[q->nexecs++];
	}
	keys->seq = seq;
	if (queryDesc->params == NULL &&
		rp_proof_keys_from_numbers(spans, nspans, keys))
		;						/* the common case, inline */
	else if (rp_proof_is_batch(text, spans, nspans))
		keys->nkeys = 0;		/* fetches many keys at once: no loop */
	else if (rp_unit_keys_from_plan(queryDesc))
		rp_proof_keys_from_plan(queryDesc->plannedstmt, queryDesc->params,
								keys);
	else if (queryDesc->params != NULL && queryDesc->params->numParams > 0)
		rp_proof_keys_from_params(queryDesc->params, keys);
	else if (q->calls > 1 || !rp_unit_defer_keys(q, text, spans, nspans))
		rp_proof_keys_from_text(text, spans, nspans, keys);
}

/*
 * A shape's first execution in a unit: keep the bytes of its constants
 * rather than their hashes, which are wanted only if it runs again (most
 * shapes do not).  False when they do not fit, or when they are all numbers
 * the fingerprint cache parsed, which cost less to hash than to copy.
 */
static bool
rp_unit_defer_keys(RpUnitQuery *q, const char *text, const RpConstSpan *spans,
				   int nspans)
{
	int			used = 0;
	int			i;

	nspans = Min(nspans, RP_PROOF_KEYS);
	for (i = 0; i < nspans && spans[i].is_number; i++)
		;
	if (i == nspans)
		return false;
	for (i = 0; i < nspans; i++)
	{
		if (spans[i].len > RP_UNIT_FIRST_TEXT - used)
			return false;
		memcpy(q->first_text + used, text + spans[i].start, spans[i].len);
		q->first_consts[i].kind = (uint8) spans[i].kind;
		q->first_consts[i].start = (uint8) used;
		q->first_consts[i].len = (uint8) spans[i].len;
		used += spans[i].len;
	}
	q->first_nconsts = (uint8) nspans;
	q->first_pending = true;
	return true;
}

/* The keys of a shape's first execution in its unit, hashed when first asked */
const RpExecKeys *
rp_unit_first_keys(RpUnitQuery *q)
{
	if (q->first_pending)
	{
		RpConstSpan spans[RP_PROOF_KEYS];
		int			i;

		for (i = 0; i < q->first_nconsts; i++)
		{
			spans[i].kind = (RpConstKind) q->first_consts[i].kind;
			spans[i].start = q->first_consts[i].start;
			spans[i].len = q->first_consts[i].len;
			spans[i].is_number = false;
		}
		rp_proof_keys_from_text(q->first_text, spans, q->first_nconsts,
								&q->first_keys);
		q->first_pending = false;
	}
	return &q->first_keys;
}

/* Where a shape's text's keys are kept once hashed (rp_describe_source.c) */
RpExecKeys *
rp_unit_text_keys(RpUnitQuery *q)
{
	if (q->text_keys == NULL)
		q->text_keys = MemoryContextAlloc(rp_unit.text_cxt,
										  sizeof(RpExecKeys));
	return q->text_keys;
}

/* For rp_proof_find: is this shape a proven loop of the current unit? */
static bool
rp_unit_is_proven(uint64 fingerprint)
{
	RpUnitQuery *q = rpunit_lookup(rp_unit.queries, fingerprint);

	return q != NULL && q->unit_id == rp_unit.id && q->proven;
}

/* What rp_unit_column_fits is asked about: a statement of a shape */
typedef struct RpFitsArg
{
	RpUnitQuery *q;
	const RpStatement *st;
} RpFitsArg;

/*
 * For rp_proof_find: does the column relate to the statement's keys?  The
 * answer is kept with the shape: a loop proven in every request asks about
 * the same column each time, and the answer walks the plan and the
 * catalogs.
 */
static bool
rp_unit_column_fits(Oid relid, AttrNumber attnum, void *arg)
{
	RpFitsArg  *fa = (RpFitsArg *) arg;
	RpUnitQuery *q = fa->q;

	if (q->fits_generation != rp_relation_generation ||
		q->fits_relid != relid || q->fits_attnum != attnum)
	{
		q->fits = rp_describe_key_relates(fa->st, relid, attnum);
		q->fits_relid = relid;
		q->fits_attnum = attnum;
		q->fits_generation = rp_relation_generation;
	}
	return q->fits;
}

/*
 * May a shape at or past the threshold be recorded?  With
 * relprefetch.require_proof, only once its keys are proven to come from
 * rows the unit read.  The proof is looked for at the threshold, then each
 * time the calls double while its executions are kept; a repeat without
 * one is counted once per unit (relprefetch.info.unproven).
 */
static bool
rp_unit_proven(RpUnitQuery *q, const RpStatement *st)
{
	RpFitsArg	fits_arg;

	if (!rp_require_proof || q->proven)
		return true;
	if (q->calls != q->next_check || q->calls > RP_PROOF_EXECS)
		return false;
	q->next_check = q->calls * 2;
	fits_arg.q = q;
	fits_arg.st = st;
	if (q->nexecs > 0 &&
		rp_proof_find(rp_unit.id, q->fingerprint, q->execs, q->nexecs,
					  rp_threshold, rp_unit_is_proven, rp_unit_column_fits,
					  &fits_arg, &q->proof))
	{
		q->proven = true;
		return true;
	}
	if (!q->unproven_counted)
	{
		rp_stats_count_unproven();
		q->unproven_counted = true;
	}
	return false;
}

/*
 * Count one execution of a statement, whose text is given, in the current
 * unit.  Returns false when the statement is not counted (an empty text, as
 * the statements of SQL-standard function bodies have, or too many shapes
 * in the unit).  May raise an error when relprefetch.on_detect is "error".
 */
bool
rp_unit_count(QueryDesc *queryDesc, const char *text, int len,
			  RpExecution *exec)
{
	uint64		fingerprint;
	RpUnitQuery *q;
	RpConstSpan spans[RP_MAX_CONST_SPANS];
	int			nspans;

	if (len == 0 || !rp_unit_reads_user_data(queryDesc->plannedstmt))
		return false;
	fingerprint = rp_fingerprint_statement(text, len,
										   rp_unit_shape_hint(queryDesc->plannedstmt),
										   rp_require_proof ? spans : NULL,
										   &nspans);

	if (rp_unit.queries == NULL)
		rp_unit_setup();
	rp_unit_boundary();

	q = rpunit_lookup(rp_unit.queries, fingerprint);
	if (q == NULL)
	{
		bool		found;

		if (rp_unit.queries->members >= RP_UNIT_MAX_QUERIES)
			return false;
		/* an insert may move other entries (simplehash is open addressing) */
		q = rpunit_insert(rp_unit.queries, fingerprint, &found);
		rp_unit.generation++;
		rp_unit_query_create(q, text, len, queryDesc->plannedstmt);
	}
	if (q->unit_id != rp_unit.id)
		rp_unit_query_enter(q);
	q->calls++;
	q->runner = GetUserId();
	rp_unit.last_fingerprint = fingerprint;
	rp_unit.seq++;
	/* a loop proven in this unit wants no more keys: its proof is made */
	if (rp_require_proof && !q->proven)
		rp_unit_keep_keys(q, queryDesc, text, spans, nspans, rp_unit.seq);

	exec->fingerprint = fingerprint;
	exec->userid = q->runner;
	exec->unit_id = rp_unit.id;
	exec->seq = rp_unit.seq;
	exec->query = q;
	exec->generation = rp_unit.generation;
	exec->shared = false;
	exec->call_waits = false;
	exec->ref = NULL;

	if (q->repeated)
		rp_unit_repeat_again(q, queryDesc, text, len, exec);
	else if (q->calls >= rp_threshold)
	{
		RpStatement st = {queryDesc->plannedstmt, text, len};

		if (rp_unit_proven(q, &st))
			rp_unit_repeat(q, queryDesc, text, len, exec);
	}
	return true;
}

/* A shape reached the threshold in this unit: count it in the shared table */
static void
rp_unit_repeat(RpUnitQuery *q, QueryDesc *queryDesc, const char *text,
			   int len, RpExecution *exec)
{
	RpRepeatInfo info;

	Assert(q->shared_base == 0);

	/* if this fails (say, a timeout reading the catalogs), the next retries */
	q->gen = rp_unit_record(q, exec->userid, queryDesc, text, len, q->calls,
							q->total_time,
							rp_on_detect != RP_ON_DETECT_NONE ? &info : NULL);

	q->repeated = true;
	q->userid = exec->userid;
	q->total_time = 0.0;
	exec->shared = true;
	exec->gen = q->gen;
	exec->ref = q->ref;

	if (rp_on_detect != RP_ON_DETECT_NONE)
		rp_unit_notify(q, &info);
}

/*
 * One more execution of a shape already in the shared table in this unit.
 * Its call is counted when it finishes, with its time, in one write to the
 * pending slot (rp_unit_finish), unless entries were removed since the
 * shape was last counted: then it is counted now, where it belongs.
 */
static void
rp_unit_repeat_again(RpUnitQuery *q, QueryDesc *queryDesc, const char *text,
					 int len, RpExecution *exec)
{
	exec->userid = q->userid;
	exec->shared = true;
	if (rp_stats_removals() == q->gen)
		exec->call_waits = true;
	else
	{
		RpStatsKey	key;
		uint64		removals;
		RpCounters	delta = rp_stats_delta(0, 1, 0.0,
										   q->calls - q->shared_base,
										   GetCurrentStatementStartTimestamp());

		rp_unit_key(&key, q->userid, q->fingerprint);

		/*
		 * Entries were reset or evicted.  If ours is still the one we record
		 * to, go on from the removals count read under the lock; if it is
		 * gone, or someone created it again, count the unit afresh.
		 */
		if (rp_stats_add(&key, q->gen, &delta, &q->ref, &removals))
			q->gen = removals;
		else
		{
			q->shared_base = q->calls - 1;
			q->pending_hint = -1;
			q->gen = rp_unit_record(q, q->userid, queryDesc, text, len, 1,
									0.0, NULL);
		}
	}
	exec->gen = q->gen;
	exec->ref = q->ref;
}

/* Nothing counted may be lost when the session ends mid-unit */
static void
rp_unit_at_exit(int code, Datum arg)
{
	/* a FATAL error may have left the table's lock held: first let it go */
	rp_stats_release_at_exit();
	rp_stats_pending_fold();
}

/*
 * A finished execution of a shape in the shared table: its time, and its
 * call if that waited (rp_unit_repeat_again), go where its call went, or
 * where the shape's calls go now if it started before the shape was
 * shared.  q is its entry if it is still this unit's, or NULL.
 */
static void
rp_unit_share(const RpExecution *exec, RpUnitQuery *q, double ms)
{
	RpStatsKey	key;
	RpStatsRef	ref = exec->shared ? exec->ref : q->ref;
	uint64		gen = exec->shared ? exec->gen : q->gen;
	int			unknown = -1;

	rp_unit_key(&key, exec->shared ? exec->userid : q->userid,
				exec->fingerprint);
	(void) rp_stats_count_execution(&key, gen, exec->call_waits ? 1 : 0, ms,
									exec->call_waits && q != NULL ?
									q->calls - q->shared_base : 0,
									GetCurrentStatementStartTimestamp(),
									q != NULL ? &q->pending_hint : &unknown,
									&ref);
	rp_unit.pending = true;
}

/* An execution counted by rp_unit_count has finished after ms milliseconds */
void
rp_unit_finish(const RpExecution *exec, double ms)
{
	RpUnitQuery *q = rp_unit_exec_query(exec);

	if (exec->unit_id == rp_unit.id && rp_unit.kind == RP_UNIT_AUTOCOMMIT)
	{
		TimestampTz end = GetCurrentStatementStartTimestamp() +
		(TimestampTz) (ms * 1000.0);

		if (end > rp_unit.last_activity)
			rp_unit.last_activity = end;
	}

	if (exec->shared || (q != NULL && q->repeated))
		rp_unit_share(exec, q, ms);
	else if (q != NULL)
		q->total_time += ms;
}

/*
 * An execution counted by rp_unit_count whose query is freed before it
 * finished (an error): if its call waited for its end, it is counted now,
 * without a time.  Called while the query's memory is freed, in an aborting
 * transaction too: nothing here may fail.
 */
void
rp_unit_abandon(const RpExecution *exec)
{
	if (exec->call_waits)
		rp_unit_share(exec, rp_unit_exec_query(exec), 0.0);
}

void
rp_unit_foreach(RpUnitVisitor visitor, void *arg)
{
	rpunit_iterator it;
	RpUnitQuery *q;

	if (rp_unit.queries == NULL)
		return;
	rpunit_start_iterate(rp_unit.queries, &it);
	while ((q = rpunit_iterate(rp_unit.queries, &it)) != NULL)
	{
		if (q->unit_id == rp_unit.id)
			visitor(q, arg);
	}
}
