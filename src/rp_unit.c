/*-------------------------------------------------------------------------
 *
 * rp_unit.c
 *	  Units of work and the counting of query shapes inside them.
 *
 * All state here is local to the backend: a hash table from fingerprint to
 * RpUnitQuery for the current unit, and the texts of the statements that
 * first ran each shape (kept so that the statement before a loop can be
 * shown as its source).  Nothing on the common path touches shared memory;
 * only a shape at or past the threshold reaches rp_stats.
 *
 * Unit boundaries are found lazily, when the next statement is counted:
 *	- inside an explicit transaction block, the unit is the block (its local
 *	  transaction id), so savepoints and ROLLBACK TO do not end it;
 *	- outside one, a statement starting more than relprefetch.unit_gap after
 *	  the previous counted statement ended starts a new unit;
 *	- DISCARD ALL and RESET ALL end the unit at once (rp_unit_end).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/backend_status.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "relprefetch.h"
#include "rp_catalog.h"
#include "rp_fingerprint.h"
#include "rp_stats.h"
#include "rp_unit.h"

#define SH_PREFIX			rpunit
#define SH_ELEMENT_TYPE		RpUnitQuery
#define SH_KEY_TYPE			uint64
#define SH_KEY				fingerprint
#define SH_HASH_KEY(tb, key)	((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b)	((a) == (b))
#define SH_SCOPE			static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * A unit tracks at most this many distinct shapes: a batch job running
 * thousands of different statements in one transaction must not make the
 * backend's memory grow without bound.  Later new shapes are not counted.
 */
#define RP_UNIT_MAX_QUERIES		5000

/* Size of the shape table kept between units; a larger one is rebuilt */
#define RP_UNIT_INITIAL_SIZE	64
#define RP_UNIT_KEEP_SIZE		1024

typedef enum RpUnitKind
{
	RP_UNIT_NONE,
	RP_UNIT_BLOCK,				/* an explicit transaction block */
	RP_UNIT_AUTOCOMMIT			/* a burst of autocommit statements */
} RpUnitKind;

typedef struct RpUnitState
{
	RpUnitKind	kind;
	LocalTransactionId lxid;	/* the block's transaction, for RP_UNIT_BLOCK */
	TimestampTz last_activity;	/* when the latest counted statement ended */
	uint64		id;				/* grows by one per unit */
	uint64		last_fingerprint;	/* shape counted last */
	rpunit_hash *queries;
	MemoryContext cxt;			/* holds queries */
	MemoryContext text_cxt;		/* texts of this unit; reset at its end */
} RpUnitState;

static RpUnitState rp_unit = {RP_UNIT_NONE};

static void rp_unit_setup(void);
static void rp_unit_boundary(void);
static void rp_unit_begin(RpUnitKind kind);
static void rp_unit_query_init(RpUnitQuery *q, const char *text, int len,
							   PlannedStmt *stmt);
static void rp_unit_repeat(RpUnitQuery *q, QueryDesc *queryDesc,
						   const char *text, int len, RpExecution *exec);
static void rp_unit_record(RpUnitQuery *q, const RpStatsKey *key,
						   QueryDesc *queryDesc, const char *text, int len,
						   int64 calls, double total_time, bool notify);
static RpUnitQuery *rp_unit_source(RpUnitQuery *q);
static void rp_unit_notify(RpUnitQuery *q, const RpRepeatInfo *info);

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
}

/* Forget the current unit; the next counted statement starts another */
void
rp_unit_end(void)
{
	if (rp_unit.queries == NULL)
		return;

	if (rp_unit.queries->members > 0)
	{
		if (rp_unit.queries->size > RP_UNIT_KEEP_SIZE)
		{
			rpunit_destroy(rp_unit.queries);
			rp_unit.queries = rpunit_create(rp_unit.cxt, RP_UNIT_INITIAL_SIZE,
											NULL);
		}
		else
			rpunit_reset(rp_unit.queries);
		MemoryContextReset(rp_unit.text_cxt);
	}
	rp_unit.kind = RP_UNIT_NONE;
	rp_unit.last_fingerprint = 0;
	rp_unit.id++;
}

static void
rp_unit_begin(RpUnitKind kind)
{
	rp_unit_end();
	rp_unit.kind = kind;
	rp_unit.lxid = MyProc->lxid;
	rp_unit.last_activity = GetCurrentStatementStartTimestamp();
}

/* End the current unit if the statement about to be counted is not in it */
static void
rp_unit_boundary(void)
{
	TimestampTz stmt_start = GetCurrentStatementStartTimestamp();

	if (IsTransactionBlock())
	{
		if (rp_unit.kind != RP_UNIT_BLOCK || rp_unit.lxid != MyProc->lxid)
			rp_unit_begin(RP_UNIT_BLOCK);
	}
	else if (rp_unit.kind != RP_UNIT_AUTOCOMMIT ||
			 stmt_start - rp_unit.last_activity >
			 (TimestampTz) rp_unit_gap * 1000)
		rp_unit_begin(RP_UNIT_AUTOCOMMIT);

	/* until it ends, a statement is at least as recent as its start */
	if (stmt_start > rp_unit.last_activity)
		rp_unit.last_activity = stmt_start;
}

static void
rp_unit_query_init(RpUnitQuery *q, const char *text, int len,
				   PlannedStmt *stmt)
{
	ListCell   *lc;

	q->repeated = false;
	q->calls = 0;
	q->shared_base = 0;
	q->total_time = 0.0;
	q->predecessor = rp_unit.last_fingerprint;

	/* keep what the view shows of a query: the server's query text size */
	len = Min(len, pgstat_track_activity_query_size - 1);
	q->text = MemoryContextAlloc(rp_unit.text_cxt, len + 1);
	memcpy(q->text, text, len);
	q->text[len] = '\0';
	q->text_len = len;

	q->nrelids = 0;
	foreach(lc, stmt->relationOids)
	{
		if (q->nrelids == RP_MAX_SOURCE_RELS)
			break;
		q->relids[q->nrelids++] = lfirst_oid(lc);
	}
}

/*
 * Count one execution of a statement in the current unit.  Returns false
 * when the statement is not counted (no text, or too many shapes in the
 * unit).  May raise an error when relprefetch.on_detect is "error".
 */
bool
rp_unit_count(QueryDesc *queryDesc, RpExecution *exec)
{
	const char *text;
	int			len;
	uint64		fingerprint;
	RpUnitQuery *q;

	if (queryDesc->sourceText == NULL)
		return false;

	text = rp_statement_text(queryDesc->sourceText, queryDesc->plannedstmt,
							 &len);
	fingerprint = rp_fingerprint(text, len);

	if (rp_unit.queries == NULL)
		rp_unit_setup();
	rp_unit_boundary();

	q = rpunit_lookup(rp_unit.queries, fingerprint);
	if (q == NULL)
	{
		bool		found;

		if (rp_unit.queries->members >= RP_UNIT_MAX_QUERIES)
			return false;
		q = rpunit_insert(rp_unit.queries, fingerprint, &found);
		rp_unit_query_init(q, text, len, queryDesc->plannedstmt);
	}
	q->calls++;
	rp_unit.last_fingerprint = fingerprint;

	exec->fingerprint = fingerprint;
	exec->userid = GetUserId();
	exec->unit_id = rp_unit.id;
	exec->shared = false;

	if (q->calls >= rp_threshold)
		rp_unit_repeat(q, queryDesc, text, len, exec);
	return true;
}

/* A shape at or past the threshold: count it in the shared table */
static void
rp_unit_repeat(RpUnitQuery *q, QueryDesc *queryDesc, const char *text,
			   int len, RpExecution *exec)
{
	RpStatsKey	key;

	key.userid = exec->userid;
	key.dbid = MyDatabaseId;
	key.fingerprint = q->fingerprint;
	exec->shared = true;

	if (!q->repeated)
	{
		double		total_time = q->total_time;

		/* mark it first: the notification may be an error */
		q->repeated = true;
		q->total_time = 0.0;
		rp_unit_record(q, &key, queryDesc, text, len, q->calls, total_time,
					   true);
	}
	else if (!rp_stats_add_call(&key, q->calls - q->shared_base,
								GetCurrentStatementStartTimestamp()))
	{
		/* reset or evicted during this unit: count the unit again from here */
		q->shared_base = q->calls - 1;
		rp_unit_record(q, &key, queryDesc, text, len, 1, 0.0, false);
	}
}

static void
rp_unit_record(RpUnitQuery *q, const RpStatsKey *key, QueryDesc *queryDesc,
			   const char *text, int len, int64 calls, double total_time,
			   bool notify)
{
	RpRepeatInfo info;
	RpUnitQuery *source = rp_unit_source(q);
	int			maxlen = pgstat_track_activity_query_size - 1;

	info.queryid = queryDesc->plannedstmt->queryId;
	info.query = rp_normalize(text, len, maxlen);
	info.source_query = source ?
		rp_normalize(source->text, source->text_len, maxlen) : NULL;
	rp_describe_repeat(queryDesc->plannedstmt,
					   source ? source->relids : NULL,
					   source ? source->nrelids : 0,
					   &info);

	rp_stats_record_repeat(key, calls, total_time,
						   GetCurrentStatementStartTimestamp(), &info);

	if (notify)
		rp_unit_notify(q, &info);
}

/*
 * The statement that started a loop: walking back from the shape's first
 * run, the first statement that is not itself part of the loop (the body
 * of a loop can hold several statements, each run about as often).
 */
static RpUnitQuery *
rp_unit_source(RpUnitQuery *q)
{
	uint64		fingerprint = q->predecessor;
	int			steps;

	for (steps = 0; fingerprint != 0 && steps < 16; steps++)
	{
		RpUnitQuery *p = rpunit_lookup(rp_unit.queries, fingerprint);

		if (p == NULL)
			return NULL;
		if (p->calls < 2 || p->calls < q->calls - 1)
			return p;
		fingerprint = p->predecessor;
	}
	return NULL;
}

static void
rp_unit_notify(RpUnitQuery *q, const RpRepeatInfo *info)
{
	int			elevel;

	switch (rp_on_detect)
	{
		case RP_ON_DETECT_LOG:
			elevel = LOG;
			break;
		case RP_ON_DETECT_NOTICE:
			elevel = NOTICE;
			break;
		case RP_ON_DETECT_WARNING:
			elevel = WARNING;
			break;
		case RP_ON_DETECT_ERROR:
			elevel = ERROR;
			break;
		default:
			return;
	}

	ereport(elevel,
			(elevel == ERROR ? errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED) : 0,
			 errmsg("relprefetch: N+1 query pattern: the same statement ran "
					INT64_FORMAT " times in one unit of work", q->calls),
			 errdetail("Repeated statement: %s\nStatement before the loop: %s%s%s",
					   info->query,
					   info->source_query ? info->source_query : "(none)",
					   info->relation[0] ? "\nRelation: " : "",
					   info->relation),
			 errhint("%s.", info->suggestion)));
}

/* An execution counted by rp_unit_count has finished after ms milliseconds */
void
rp_unit_finish(const RpExecution *exec, double ms)
{
	RpUnitQuery *q = NULL;

	if (exec->unit_id == rp_unit.id)
	{
		q = rpunit_lookup(rp_unit.queries, exec->fingerprint);
		if (rp_unit.kind == RP_UNIT_AUTOCOMMIT)
		{
			TimestampTz end = GetCurrentStatementStartTimestamp() +
				(TimestampTz) (ms * 1000.0);

			if (end > rp_unit.last_activity)
				rp_unit.last_activity = end;
		}
	}

	if (exec->shared || (q != NULL && q->repeated))
	{
		RpStatsKey	key;

		key.userid = exec->userid;
		key.dbid = MyDatabaseId;
		key.fingerprint = exec->fingerprint;
		rp_stats_add_time(&key, ms);
	}
	else if (q != NULL)
		q->total_time += ms;
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
		visitor(q, arg);
}
