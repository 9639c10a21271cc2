/*-------------------------------------------------------------------------
 *
 * rp_proof.h
 *	  Proof of a loop: where the key values of a repeated statement came
 *	  from.
 *
 * A repeat is an N+1 loop when its executions take their key values from
 * rows that earlier statements of the unit of work returned.  This
 * subsystem keeps, per backend and per unit, hashes of the values of the
 * rows statements returned (rp_proof_capture), and hashes of the key
 * values each execution was given (rp_proof_keys_*), and tells whether the
 * executions of a repeat match the rows of one source (rp_proof_find).
 * Everything is backend-local and bounded; see rp_proof.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_PROOF_H
#define RP_PROOF_H

#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/execdesc.h"
#include "nodes/params.h"
#include "nodes/plannodes.h"

#include "rp_fingerprint.h"
#include "rp_relationship.h"

/* Key values kept per execution: the first ones of the statement */
#define RP_PROOF_KEYS		4

/* Executions of one shape kept per unit to prove it by */
#define RP_PROOF_EXECS		32

/* Columns of one statement's rows kept */
#define RP_PROOF_COLUMNS	8

/*
 * Which columns of a query shape's rows are kept (rp_proof_columns.c): made
 * once per shape, again when the catalogs or the rows' shape change.
 */
typedef struct RpCaptureColumns
{
	int			ncolumns;
	AttrNumber	attnum[RP_PROOF_COLUMNS];	/* in the rows */
	Oid			typid[RP_PROOF_COLUMNS];
	Oid			origin_rel[RP_PROOF_COLUMNS];	/* where the column is from */
	AttrNumber	origin_col[RP_PROOF_COLUMNS];
} RpCaptureColumns;

typedef struct RpCaptureLayout
{
	uint64		generation;		/* rp_relation_generation it was made at */
	int			natts;			/* of the rows; -1 when never made */
	RpCaptureColumns cols;
} RpCaptureLayout;

/*
 * The receiver a counted statement's rows go through, in memory of the
 * caller's (rp_hooks.c keeps one with each execution it counts).
 */
typedef struct RpCaptureReceiver
{
	DestReceiver pub;
	DestReceiver *inner;		/* where the rows go */
	struct RpCapture *capture;	/* in the store; NULL when nothing is kept */
	uint64		unit_id;
	int			next_value;		/* where its next row's values go */
	int			rows_left;		/* rows still to keep */
	AttrNumber	attnum;			/* with one integer column kept: which, */
	Oid			typid;			/* and its type */
} RpCaptureReceiver;

/* The key values of one execution, hashed; 0 is "unknown" */
typedef struct RpExecKeys
{
	uint64		seq;			/* the execution's place in the unit */
	int			nkeys;
	uint64		hash[RP_PROOF_KEYS];
} RpExecKeys;

/* What proved a loop */
typedef struct RpProof
{
	uint64		source;			/* fingerprint of the source statement */
	int			position;		/* of the key: $1 is 0 */
	int			matched;		/* executions whose key came from it */
	int			executions;		/* executions looked at */
	Oid			relid;			/* the source column's table, or 0 */
	AttrNumber	attnum;			/* and column */
	bool		nested;			/* the source is itself a loop */
} RpProof;

/* Is the statement of this fingerprint a proven loop in this unit? */
typedef bool (*RpProvenCheck) (uint64 fingerprint);

/* Do the repeat's keys relate to this column by design (rp_describe.c)? */
typedef bool (*RpColumnFits) (Oid relid, AttrNumber attnum, void *arg);

/* relprefetch.require_proof */
extern bool rp_require_proof;

/* Is a value of this type looked at? */
static inline bool
rp_proof_type_kept(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case TEXTOID:
		case VARCHAROID:
		case UUIDOID:
			return true;
		default:
			return false;
	}
}

/*
 * The key of an integer, never 0.  Keys are only compared, never used to
 * choose a bucket, so what matters is that no two integers share one: an
 * odd multiplier and a fold of the high half into the low are each
 * one-to-one on 64-bit values (only 0, moved to 1, meets another value).
 */
static inline uint64
rp_proof_hash_int(int64 value)
{
	uint64		h = (uint64) value * UINT64CONST(0x9e3779b97f4a7c15);

	h ^= h >> 32;
	return h != 0 ? h : 1;
}

/* The key of a constant the fingerprint cache parsed as a number */
static inline uint64
rp_proof_number_key(const RpConstSpan *span)
{
	Assert(span->is_number);
	return rp_proof_hash_int(span->number);
}

/*
 * The keys of an execution whose constants are all numbers the fingerprint
 * cache parsed (what most lookups sent as text have), without a call; false,
 * leaving keys alone, for any other constants.  No list is a number: such
 * an execution is never a batch (as rp_proof_is_batch sees it: it too
 * looks only at the first RP_MAX_CONST_SPANS constants).
 */
static inline bool
rp_proof_keys_from_numbers(const RpConstSpan *spans, int nspans,
						   RpExecKeys *keys)
{
	int			n = Min(nspans, RP_PROOF_KEYS);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!spans[i].is_number)
			return false;
	}
	keys->nkeys = n;
	for (i = 0; i < n; i++)
		keys->hash[i] = rp_proof_number_key(&spans[i]);
	return true;
}

static inline void
rp_proof_layout_init(RpCaptureLayout *layout)
{
	layout->natts = -1;
}

/* Was a layout made for rows of desc's shape, under the current catalogs? */
static inline bool
rp_proof_layout_made_for(const RpCaptureLayout *layout, TupleDesc desc)
{
	return layout->generation == rp_relation_generation &&
		layout->natts == desc->natts;
}

/*
 * Is a layout up to date for rows of desc, and keeps none of their
 * columns?  (What rp_proof_layout would find, without the call: most
 * lookups return no column that can hold a key.)
 */
static inline bool
rp_proof_layout_keeps_none(const RpCaptureLayout *layout, TupleDesc desc)
{
	return layout->cols.ncolumns == 0 && desc != NULL &&
		rp_proof_layout_made_for(layout, desc);
}

extern void rp_proof_init(void);
extern bool rp_proof_is_batch(const char *text, const RpConstSpan *spans,
							  int nspans);
extern void rp_proof_keys_from_params(ParamListInfo params, RpExecKeys *keys);
extern void rp_proof_keys_from_plan(PlannedStmt *stmt, ParamListInfo params,
									RpExecKeys *keys);
extern void rp_proof_keys_from_text(const char *text,
									const RpConstSpan *spans, int nspans,
									RpExecKeys *keys);
extern void rp_proof_columns_init(void);
extern RpCaptureLayout *rp_proof_layout(RpCaptureLayout *layout,
										TupleDesc desc, PlannedStmt *stmt);
extern bool rp_proof_capture(QueryDesc *queryDesc, RpCaptureReceiver *r,
							 RpCaptureLayout *layout, uint64 unit_id,
							 uint64 fingerprint, uint64 seq);
extern void rp_proof_capture_done(QueryDesc *queryDesc);
extern bool rp_proof_find(uint64 unit_id, uint64 fingerprint,
						  const RpExecKeys *execs, int nexecs, int threshold,
						  RpProvenCheck is_proven, RpColumnFits fits,
						  void *fits_arg, RpProof *proof);
extern bool rp_proof_plan_key_column(PlannedStmt *stmt, int position,
									 Oid *relid, AttrNumber *attnum);

#endif							/* RP_PROOF_H */
