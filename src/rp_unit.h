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

#include "rp_proof.h"
#include "rp_stats.h"

/* Relations of a statement remembered to explain a later loop */
#define RP_MAX_SOURCE_RELS	4

/* Whether the keys of a shape's kept text are known (RpUnitQuery) */
#define RP_TEXT_KEYS_UNKNOWN	0	/* not worked out yet */
#define RP_TEXT_KEYS_KNOWN		1
#define RP_TEXT_KEYS_NONE		2	/* a parameter, a list, too many */

/*
 * The bytes of a shape's first execution's constants kept unhashed: most
 * shapes run once in a unit, and their keys are only wanted when they run
 * again.
 */
#define RP_UNIT_FIRST_TEXT		40	/* a quoted uuid fits */

/* Where one of them is in first_text (RpConstSpan, made small) */
typedef struct RpUnitConst
{
	uint8		kind;			/* RpConstKind */
	uint8		start;
	uint8		len;
} RpUnitConst;

/*
 * A query shape seen by this backend.  Entries outlive units: the counters
 * belong to the unit numbered unit_id, and count as zero in any other.
 */
typedef struct RpUnitQuery
{
	uint64		fingerprint;	/* hash key */
	char		status;			/* used by simplehash */
	bool		repeated;		/* counted in the shared table in its unit */
	uint64		unit_id;		/* the unit the counters below belong to */
	Oid			userid;			/* user it was shared for */
	Oid			runner;			/* user who ran it last */
	int64		calls;			/* executions started in that unit */
	int64		shared_base;	/* of those, run before the shared entry was
								 * last created (by a reset mid-unit) */
	uint64		gen;			/* stats removals when it was shared */
	int			pending_hint;	/* its place in the pending slot, or -1 */
	double		total_time;		/* ms of its executions finished before it
								 * repeated, not yet shared */
	uint64		predecessor;	/* shape that ran just before its first run */
	RpStatsRef	ref;			/* where its shared entry was last found */
	uint64		described;		/* what its entry's description was made from
								 * (rp_unit_description_sig), 0 if none */
	char	   *text;			/* text of one execution: the shape's, though
								 * its comments and spacing are that one's */
	int			text_len;
	uint64		text_unit;		/* the unit whose execution text is */
	char		text_keys_state;	/* RP_TEXT_KEYS_*: are text_keys known? */
	RpExecKeys *text_keys;		/* the keys of text's constants, when known
								 * (rp_unit_text_keys) */
	int			nrelids;
	Oid			relids[RP_MAX_SOURCE_RELS]; /* relations it reads */

	/* the proof of the loop, with relprefetch.require_proof */
	bool		proven;			/* its keys came from rows read */
	bool		unproven_counted;	/* counted as a repeat without proof */
	int64		next_check;		/* calls at which to look for a proof */
	RpExecKeys	first_keys;		/* its first execution's keys, unless */
	bool		first_pending;	/* they are still the constants below */
	uint8		first_nconsts;	/* (rp_unit_first_keys hashes them) */
	RpUnitConst first_consts[RP_PROOF_KEYS];
	char		first_text[RP_UNIT_FIRST_TEXT];
	RpExecKeys *execs;			/* its first RP_PROOF_EXECS executions */
	int			nexecs;
	RpProof		proof;
	Oid			fits_relid;		/* the source column asked about last, */
	AttrNumber	fits_attnum;
	uint64		fits_generation;	/* at this rp_relation_generation, */
	bool		fits;			/* and whether it fits (rp_unit_column_fits) */
	RpCaptureLayout layout;		/* which columns of its rows are kept */
} RpUnitQuery;

/* What ExecutorEnd needs to know about an execution that was counted */
typedef struct RpExecution
{
	uint64		fingerprint;
	Oid			userid;			/* user it was counted for */
	uint64		unit_id;		/* the unit it was counted in */
	uint64		seq;			/* its place in the unit's statements */
	RpUnitQuery *query;			/* its entry, valid while the table's */
	uint64		generation;		/* generation is still this one */
	bool		shared;			/* counted in the shared table */
	bool		call_waits;		/* its call is counted when it finishes */
	uint64		gen;			/* stats removals then, when shared */
	RpStatsRef	ref;			/* its shared entry, when shared */
} RpExecution;

typedef void (*RpUnitVisitor) (const RpUnitQuery *query, void *arg);

extern void rp_unit_init(void);
extern uint64 rp_unit_current(void);
extern RpCaptureLayout *rp_unit_layout(const RpExecution *exec);
extern bool rp_unit_count(QueryDesc *queryDesc, const char *text, int len,
						  RpExecution *exec);
extern void rp_unit_note_begin(void);
extern void rp_unit_finish(const RpExecution *exec, double ms);
extern void rp_unit_abandon(const RpExecution *exec);
extern void rp_unit_end(void);
extern void rp_unit_foreach(RpUnitVisitor visitor, void *arg);
extern const RpExecKeys *rp_unit_first_keys(RpUnitQuery *q);
extern RpExecKeys *rp_unit_text_keys(RpUnitQuery *q);

#endif							/* RP_UNIT_H */
