/*-------------------------------------------------------------------------
 *
 * rp_funcs.c
 *	  SQL-callable functions of relprefetch.
 *
 * relprefetch.stats() feeds the relprefetch.stats view; reset(), info() and
 * unit_queries() are documented in README.md.  Each one refuses to run,
 * with a clear error, when the library was not loaded through
 * shared_preload_libraries, since then neither the shared table nor the
 * executor hooks exist.
 *
 * Of other users' rows, roles without the privileges of pg_read_all_stats
 * see the counters only, as in pg_stat_statements: not the texts, and not
 * what would identify or describe the query (fingerprint, queryid,
 * relation, foreign key).
 *
 * fetch_json() and fetch_children() need no shared memory and work without
 * preloading.  They return their rows one call at a time, so that only one
 * batch of parent rows is held (rp_fetch_exec.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "rp_fetch.h"
#include "rp_fingerprint.h"
#include "rp_compat.h"
#include "rp_stats.h"
#include "rp_unit.h"

/*
 * Columns of stats() and info(); the SQL of 0.2.0 has two fewer in stats()
 * (proof, suggested_call) and one fewer in info()
 */
#define RP_STATS_COLS			18
#define RP_UNIT_QUERIES_COLS	5
#define RP_INFO_COLS			5

/*
 * The SQL functions are looked up by name: visible outside the library,
 * which hides the rest (see the Makefile; PostgreSQL 16's
 * PG_FUNCTION_INFO_V1 declares them so itself)
 */
extern PGDLLEXPORT Datum relprefetch_stats(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_reset(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_unit_queries(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_end_unit(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_info(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_fetch_json(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum relprefetch_fetch_children(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(relprefetch_stats);
PG_FUNCTION_INFO_V1(relprefetch_reset);
PG_FUNCTION_INFO_V1(relprefetch_unit_queries);
PG_FUNCTION_INFO_V1(relprefetch_end_unit);
PG_FUNCTION_INFO_V1(relprefetch_info);
PG_FUNCTION_INFO_V1(relprefetch_fetch_json);
PG_FUNCTION_INFO_V1(relprefetch_fetch_children);

typedef struct RpStatsScan
{
	ReturnSetInfo *rsinfo;
	Oid			userid;
	bool		read_all;		/* may see every user's texts */
} RpStatsScan;

static void
rp_require_preload(void)
{
	if (!rp_stats_available())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relprefetch must be loaded via shared_preload_libraries"),
				 errhint("Add relprefetch to shared_preload_libraries in postgresql.conf and restart the server.")));
}

static inline Datum
rp_text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL || s[0] == '\0');
	return *isnull ? (Datum) 0 : CStringGetTextDatum(s);
}

static void
rp_stats_row(const RpStatsSnapshot *snap, void *arg)
{
	RpStatsScan *scan = (RpStatsScan *) arg;
	Datum		values[RP_STATS_COLS];
	bool		nulls[RP_STATS_COLS];
	bool		show_text = scan->read_all || snap->key.userid == scan->userid;
	int			i = 0;

	memset(nulls, 0, sizeof(nulls));

	values[i++] = ObjectIdGetDatum(snap->key.userid);
	values[i++] = ObjectIdGetDatum(snap->key.dbid);
	nulls[i] = !show_text;
	values[i++] = Int64GetDatum((int64) snap->key.fingerprint);
	nulls[i] = (snap->queryid == 0 || !show_text);
	values[i++] = Int64GetDatum((int64) snap->queryid);
	if (show_text)
		values[i++] = CStringGetTextDatum(snap->query);
	else
		values[i++] = CStringGetTextDatum("<insufficient privilege>");
	values[i++] = Int64GetDatum(snap->counters.units);
	values[i++] = Int64GetDatum(snap->counters.calls);
	values[i++] = Int64GetDatum(snap->counters.max_repeats);
	values[i++] = Float8GetDatum(snap->counters.total_time);
	values[i] = rp_text_or_null(show_text ? snap->source_query : NULL,
								&nulls[i]);
	i++;
	nulls[i] = !OidIsValid(snap->desc.relid) || !show_text;
	values[i++] = ObjectIdGetDatum(snap->desc.relid);
	values[i] = rp_text_or_null(show_text ? snap->desc.relation : NULL, &nulls[i]);
	i++;
	values[i] = rp_text_or_null(show_text ? snap->desc.foreign_key : NULL,
								&nulls[i]);
	i++;
	values[i] = rp_text_or_null(show_text ? snap->desc.suggestion : NULL,
								&nulls[i]);
	i++;
	values[i++] = TimestampTzGetDatum(snap->counters.first_seen);
	values[i++] = TimestampTzGetDatum(snap->counters.last_seen);
	if (scan->rsinfo->setDesc->natts >= RP_STATS_COLS - 1)
	{
		values[i] = rp_text_or_null(show_text ? snap->proof : NULL,
									&nulls[i]);
		i++;
	}
	if (scan->rsinfo->setDesc->natts >= RP_STATS_COLS)
	{
		nulls[i] = !show_text || snap->desc.call_len == 0;
		if (!nulls[i])
			values[i] = PointerGetDatum(cstring_to_text_with_len(snap->desc.suggestion +
																 snap->desc.call_start,
																 snap->desc.call_len));
		i++;
	}
	Assert(i == scan->rsinfo->setDesc->natts);

	tuplestore_putvalues(scan->rsinfo->setResult, scan->rsinfo->setDesc,
						 values, nulls);
}

Datum
relprefetch_stats(PG_FUNCTION_ARGS)
{
	RpStatsScan scan;

	rp_require_preload();
	rp_init_materialized_srf(fcinfo, 0);

	scan.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	scan.userid = GetUserId();
	scan.read_all = has_privs_of_role(scan.userid, ROLE_PG_READ_ALL_STATS);
	rp_stats_foreach(rp_stats_row, &scan);

	return (Datum) 0;
}

Datum
relprefetch_reset(PG_FUNCTION_ARGS)
{
	Oid			userid = PG_GETARG_OID(0);
	Oid			dbid = PG_GETARG_OID(1);
	uint64		fingerprint = (uint64) PG_GETARG_INT64(2);

	rp_require_preload();
	PG_RETURN_TIMESTAMPTZ(rp_stats_reset(userid, dbid, fingerprint));
}

static void
rp_unit_query_row(const RpUnitQuery *q, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[RP_UNIT_QUERIES_COLS];
	bool		nulls[RP_UNIT_QUERIES_COLS];

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum((int64) q->fingerprint);
	values[1] = Int64GetDatum(q->calls);
	values[2] = Float8GetDatum(q->total_time);
	values[3] = BoolGetDatum(q->repeated);
	values[4] = CStringGetTextDatum(rp_normalize(q->text, q->text_len,
												 pgstat_track_activity_query_size - 1));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
relprefetch_unit_queries(PG_FUNCTION_ARGS)
{
	rp_require_preload();
	rp_init_materialized_srf(fcinfo, 0);
	rp_unit_foreach(rp_unit_query_row, fcinfo->resultinfo);
	return (Datum) 0;
}

/*
 * end_unit(): end this session's unit of work here, even inside a
 * transaction.  For test frameworks that run many tests in one transaction
 * (Django's TestCase): called between tests, each test is a unit of its
 * own.  The call itself still counts in the unit it ends.
 */
Datum
relprefetch_end_unit(PG_FUNCTION_ARGS)
{
	rp_require_preload();
	rp_unit_end();
	PG_RETURN_VOID();
}

Datum
relprefetch_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	RpStatsInfo info;
	Datum		values[RP_INFO_COLS];
	bool		nulls[RP_INFO_COLS];

	rp_require_preload();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	rp_stats_info(&info);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(info.entries);
	values[1] = Int64GetDatum(info.max_entries);
	values[2] = Int64GetDatum(info.evictions);
	values[3] = TimestampTzGetDatum(info.stats_reset);
	values[4] = Int64GetDatum(info.unproven);	/* not read by 0.2.0's SQL */

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* The econtext a set-returning call may register shutdown callbacks on */
static ExprContext *
rp_call_econtext(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	return rsinfo->econtext;
}

/*
 * fetch_json(parent regclass, spec jsonb): one JSON object per parent row,
 * with the related rows the spec includes.
 */
Datum
relprefetch_fetch_json(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Datum		result;

	if (SRF_IS_FIRSTCALL())
	{
		ExprContext *econtext = rp_call_econtext(fcinfo);
		MemoryContext old;
		RpFetchPlan *plan;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		plan = rp_fetch_plan_json(PG_GETARG_OID(0), PG_GETARG_JSONB_P(1));
		funcctx->user_fctx = rp_fetch_begin(plan, econtext);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (rp_fetch_next_json((RpFetch *) funcctx->user_fctx, &result))
		SRF_RETURN_NEXT(funcctx, result);
	rp_fetch_end((RpFetch *) funcctx->user_fctx);
	SRF_RETURN_DONE(funcctx);
}

static const char *
rp_text_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * fetch_children(parent anyelement, children anycompatiblearray, via,
 * parent_where, child_where, child_order_by, child_limit): each parent
 * row with the array of its child rows.  Only the types of the first two
 * arguments matter.
 */
Datum
relprefetch_fetch_children(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (SRF_IS_FIRSTCALL())
	{
		ExprContext *econtext = rp_call_econtext(fcinfo);
		MemoryContext old;
		RpChildrenArgs args;
		TupleDesc	desc;

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(desc);

		args.parent_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
		args.child_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		args.via = rp_text_arg(fcinfo, 2);
		args.parent_where = rp_text_arg(fcinfo, 3);
		args.child_where = rp_text_arg(fcinfo, 4);
		args.child_order_by = rp_text_arg(fcinfo, 5);
		args.child_limit = PG_ARGISNULL(6) ? -1 : PG_GETARG_INT32(6);
		if (!PG_ARGISNULL(6) && args.child_limit < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
					 errmsg("child_limit must not be negative")));
		funcctx->user_fctx = rp_fetch_begin(rp_fetch_plan_children(&args),
											econtext);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (rp_fetch_next_children((RpFetch *) funcctx->user_fctx,
							   &values[0], &values[1]))
		SRF_RETURN_NEXT(funcctx,
						HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc,
														  values, nulls)));
	rp_fetch_end((RpFetch *) funcctx->user_fctx);
	SRF_RETURN_DONE(funcctx);
}
