/*-------------------------------------------------------------------------
 *
 * rp_compat.h
 *	  Differences between the PostgreSQL majors relprefetch builds on, 14 to
 *	  19, as small inline wrappers and macros.  The rest of the code calls
 *	  these and has no version checks of its own.
 *
 * Tested majors: 15, 17, 18 and 19 (Debian's packages; see the README).
 * 14 and 16 are only expected to work: every check below is bracketed by
 * majors whose headers were read (14, 16 from PostgreSQL's source).  13 and
 * older are refused: 13 is out of support and lacks the request hook for
 * shared memory, SPI_execute_plan_extended and ProcessUtility's
 * readOnlyTree, which the code relies on.
 *
 * What differs, by major (checked against each major's headers):
 *	- 15: shmem_request_hook (before it, shared memory is requested from
 *	  _PG_init, where MaxBackends is not yet computed);
 *	  MarkGUCPrefixReserved (before it, EmitWarningsOnPlaceholders);
 *	  SetSingleFuncCall (InitMaterializedSRF from 16 and in later 15
 *	  releases, nothing in 14); A_Const's value a union with an isnull
 *	  flag, and Boolean constants (before it, a Value; true is 't'::bool).
 *	- 17: MyBackendId (1-based, storage/backendid.h) became MyProcNumber
 *	  (0-based, storage/procnumber.h); PGPROC's lxid moved into vxid.lxid.
 *	- 18: ExecutorRun lost execute_once, and the ExecutorStart hook still
 *	  returns void (the bool of 18's beta was reverted); neither is called
 *	  here other than through the hooks' unchanged signatures.
 *	- 19: standard_conforming_strings is always on, and its variable is gone;
 *	  PlannedStmt's list resultRelations became the Bitmapset
 *	  resultRelationRelids;
 *	  ShmemInitHash takes one size; funcapi.h and postgres.h no longer bring
 *	  utils/tuplestore.h and varatt.h (varatt.h exists from 16).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_COMPAT_H
#define RP_COMPAT_H

#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#else
#include "storage/backendid.h"
#endif
#if PG_VERSION_NUM < 190000
#include "parser/parser.h"
#endif
#if PG_VERSION_NUM < 150000
#include "postmaster/autovacuum.h"
#include "postmaster/postmaster.h"
#include "replication/walsender.h"
#endif

#if PG_VERSION_NUM < 140000
#error "relprefetch needs PostgreSQL 14 or later"
#endif

/*
 * Shared memory requests.  From 15 a request hook runs once MaxBackends is
 * known; before, the request is made from _PG_init itself, so the hook is
 * called at once (and has no previous hook to chain to).
 */
#if PG_VERSION_NUM < 150000
typedef void (*shmem_request_hook_type) (void);
#endif

static inline void
rp_install_shmem_request_hook(shmem_request_hook_type hook,
							  shmem_request_hook_type *prev)
{
#if PG_VERSION_NUM >= 150000
	*prev = shmem_request_hook;
	shmem_request_hook = hook;
#else
	*prev = NULL;
	hook();
#endif
}

/*
 * MaxBackends, also while shared memory is being requested: before 15 it is
 * computed only after the libraries are loaded, so it is worked out here
 * the way 14's InitializeMaxBackends does.
 */
static inline int
rp_max_backends(void)
{
#if PG_VERSION_NUM >= 150000
	return MaxBackends;
#else
	if (MaxBackends > 0)
		return MaxBackends;
	return MaxConnections + autovacuum_max_workers + 1 +
		max_worker_processes + max_wal_senders;
#endif
}

/*
 * A hash table in shared memory of a fixed number of entries (19 takes one
 * size; before, an initial and a maximum size, here the same).
 */
static inline HTAB *
rp_shmem_init_hash(const char *name, long nelems, HASHCTL *info, int flags)
{
#if PG_VERSION_NUM >= 190000
	return ShmemInitHash(name, nelems, info, flags);
#else
	return ShmemInitHash(name, nelems, nelems, info, flags);
#endif
}

/* After the GUCs are defined: warn of unknown relprefetch.* settings */
static inline void
rp_mark_guc_prefix_reserved(const char *prefix)
{
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved(prefix);
#else
	EmitWarningsOnPlaceholders(prefix);
#endif
}

/*
 * This backend's number among the MaxBackends regular backends, from 0, or
 * -1 when it has none (before 17 MyBackendId counted from 1, with
 * InvalidBackendId -1; from 17 MyProcNumber counts from 0, with
 * INVALID_PROC_NUMBER -1).
 */
static inline int
rp_my_backend_index(void)
{
#if PG_VERSION_NUM >= 170000
	return MyProcNumber == INVALID_PROC_NUMBER ? -1 : (int) MyProcNumber;
#else
	return MyBackendId == InvalidBackendId ? -1 : (int) MyBackendId - 1;
#endif
}

/* The local transaction id of this backend's current transaction */
static inline LocalTransactionId
rp_my_lxid(void)
{
#if PG_VERSION_NUM >= 170000
	return MyProc->vxid.lxid;
#else
	return MyProc->lxid;
#endif
}

/*
 * A set-returning function in materialize mode: its tuplestore and tuple
 * descriptor set up in fcinfo->resultinfo, as InitMaterializedSRF does from
 * 16 (15.0 has SetSingleFuncCall, which every 15 release keeps, and later
 * 15 releases both; here for 14).
 */
#if PG_VERSION_NUM >= 160000
#define rp_init_materialized_srf(fcinfo, flags) \
	InitMaterializedSRF((fcinfo), (flags))
#elif PG_VERSION_NUM >= 150000
#define rp_init_materialized_srf(fcinfo, flags) \
	SetSingleFuncCall((fcinfo), (flags))
#else
static inline void
rp_init_materialized_srf(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	tupdesc;

	Assert(flags == 0);
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
}
#endif

/* Whether '...' strings take backslashes literally (always, from 19) */
static inline bool
rp_standard_conforming_strings(void)
{
#if PG_VERSION_NUM >= 190000
	return true;
#else
	return standard_conforming_strings;
#endif
}

/*
 * The range table index of a planned statement's first result relation (an
 * INSERT, UPDATE, DELETE or MERGE target), or 0 when it has none.  Before
 * 19 PlannedStmt lists them in resultRelations, in plan order (an inherited
 * or partitioned target's members, its root last); 19 keeps them in the
 * Bitmapset resultRelationRelids, where the first is the lowest index: the
 * target as written, whose index precedes those of its partitions.
 */
static inline Index
rp_first_result_relation(const PlannedStmt *stmt)
{
#if PG_VERSION_NUM >= 190000
	int			rti = bms_next_member(stmt->resultRelationRelids, -1);

	return rti < 0 ? 0 : (Index) rti;
#else
	if (stmt->resultRelations == NIL)
		return 0;
	return (Index) linitial_int(stmt->resultRelations);
#endif
}

/*
 * The ExecutorRun hook: PostgreSQL 18 dropped its execute_once argument.
 * RP_EXECUTOR_RUN_ARGS declares the hook's parameters, RP_EXECUTOR_RUN_PASS
 * passes them on to the previous hook or standard_ExecutorRun.
 */
#if PG_VERSION_NUM >= 180000
#define RP_EXECUTOR_RUN_ARGS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define RP_EXECUTOR_RUN_PASS queryDesc, direction, count
#else
#define RP_EXECUTOR_RUN_ARGS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, \
	bool execute_once
#define RP_EXECUTOR_RUN_PASS queryDesc, direction, count, execute_once
#endif

/*
 * Constants of the raw parse tree (A_Const).  15 made its value a union
 * with an isnull flag, and true and false Boolean nodes; in 14 it is a
 * Value whose type T_Null says NULL, and true and false are casts of 't'
 * and 'f' to bool.  nodeTag(&c->val) is the value's kind in both.
 */
static inline bool
rp_aconst_isnull(const A_Const *c)
{
#if PG_VERSION_NUM >= 150000
	return c->isnull;
#else
	return c->val.type == T_Null;
#endif
}

static inline int
rp_aconst_int(const A_Const *c)
{
#if PG_VERSION_NUM >= 150000
	return c->val.ival.ival;
#else
	return c->val.val.ival;
#endif
}

/* The text of a Float (a number too large or with a point) or a String */
static inline const char *
rp_aconst_text(const A_Const *c)
{
#if PG_VERSION_NUM >= 150000
	if (nodeTag(&c->val) == T_Float)
		return c->val.fval.fval;
	return c->val.sval.sval;
#else
	return c->val.val.str;
#endif
}

/* Is it true or false (only from 15: casts in 14), and which */
static inline bool
rp_aconst_boolean(const A_Const *c, bool *value)
{
#if PG_VERSION_NUM >= 150000
	if (!c->isnull && nodeTag(&c->val) == T_Boolean)
	{
		*value = c->val.boolval.boolval;
		return true;
	}
#endif
	return false;
}

#endif							/* RP_COMPAT_H */
