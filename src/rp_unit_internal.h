/*-------------------------------------------------------------------------
 *
 * rp_unit_internal.h
 *	  The state of units of work, shared by the files of that subsystem:
 *	  rp_unit.c (counting) and rp_unit_record.c (describing and recording a
 *	  repeat).  All of it is the backend's own: no locks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_UNIT_INTERNAL_H
#define RP_UNIT_INTERNAL_H

#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"

#include "rp_unit.h"

/* The shapes this backend has seen, by fingerprint */
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

/* Statements walked back from a loop's first run to find its source */
#define RP_UNIT_SOURCE_STEPS	16

/* What relprefetch.on_detect accepts */
typedef enum RpOnDetect
{
	RP_ON_DETECT_NONE,
	RP_ON_DETECT_LOG,
	RP_ON_DETECT_NOTICE,
	RP_ON_DETECT_WARNING,
	RP_ON_DETECT_ERROR
} RpOnDetect;

typedef enum RpUnitKind
{
	RP_UNIT_NONE,
	RP_UNIT_BLOCK,				/* an explicit transaction block */
	RP_UNIT_AUTOCOMMIT			/* a burst of autocommit statements */
} RpUnitKind;

typedef struct RpUnitState
{
	RpUnitKind	kind;
	LocalTransactionId lxid;	/* transaction of the latest counted statement */
	LocalTransactionId begin_lxid;	/* transaction started by BEGIN */
	TimestampTz last_activity;	/* when the latest counted statement ended */
	uint64		id;				/* grows by one per unit; 0 is no unit */
	uint64		last_fingerprint;	/* shape counted last */
	uint64		seq;			/* statements counted, ever */
	rpunit_hash *queries;
	uint64		generation;		/* grows whenever entries may move */
	MemoryContext cxt;			/* holds queries */
	MemoryContext text_cxt;		/* holds the texts of queries */
	bool		pending;		/* deltas wait in the pending slot */
} RpUnitState;

extern RpUnitState rp_unit;
extern int	rp_on_detect;

/*
 * Are a statement's keys the values its plan compares with?  So for
 * PL/pgSQL, whose parameters are all the function's variables.
 */
static inline bool
rp_unit_keys_from_plan(QueryDesc *queryDesc)
{
	return queryDesc->params != NULL && queryDesc->params->paramFetch != NULL;
}

/* The shared table's key of a shape counted for userid */
static inline void
rp_unit_key(RpStatsKey *key, Oid userid, uint64 fingerprint)
{
	key->userid = userid;
	key->dbid = MyDatabaseId;
	key->fingerprint = fingerprint;
}

extern uint64 rp_unit_record(RpUnitQuery *q, Oid userid,
							 QueryDesc *queryDesc, const char *text, int len,
							 int64 calls, double total_time,
							 RpRepeatInfo *info);
extern void rp_unit_notify(RpUnitQuery *q, const RpRepeatInfo *info);

#endif							/* RP_UNIT_INTERNAL_H */
