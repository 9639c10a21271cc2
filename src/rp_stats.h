/*-------------------------------------------------------------------------
 *
 * rp_stats.h
 *	  Shared-memory table of repeated query shapes (N+1 suspects).
 *
 * One entry per (user, database, fingerprint) that has repeated in some unit
 * of work.  A backend creates an entry, or describes it again, when a shape
 * reaches the threshold in its unit (rp_stats_record_repeat); the units it
 * counts again in an entry it described, and further executions in a unit,
 * go to the backend's pending slot (rp_stats_count), folded into the table
 * when a unit ends and the slot is due (rp_stats_pending_due,
 * rp_stats_pending_fold), and at exit.  The table survives clean
 * restarts through a file in pg_stat/.  Locking rules: see rp_stats.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_STATS_H
#define RP_STATS_H

#include "postgres.h"

#include "datatype/timestamp.h"


/* Lengths of the names and advice kept with each shared entry */
#define RP_RELATION_LEN		(2 * NAMEDATALEN + 8)
#define RP_SUGGESTION_LEN	1024
#define RP_PROOF_LEN		256

typedef struct RpStatsKey
{
	Oid			userid;
	Oid			dbid;
	uint64		fingerprint;
} RpStatsKey;

typedef struct RpCounters
{
	int64		units;			/* units of work in which the shape repeated */
	int64		calls;			/* executions inside those units */
	int64		max_repeats;	/* most executions in one unit */
	double		total_time;		/* ms spent in those executions */
	TimestampTz first_seen;
	TimestampTz last_seen;
} RpCounters;

/*
 * What a repeat is about: the relation it reads, the foreign key it
 * follows and the advice to replace it (empty strings when unknown).  The
 * advice holds, from byte call_start and call_len bytes long, the SQL call
 * that replaces the loop (call_len 0 when there is none).  Kept as it is
 * in shared memory; the stats file keeps the same fields.
 */
typedef struct RpRepeatDesc
{
	Oid			relid;
	char		relation[RP_RELATION_LEN];
	char		foreign_key[NAMEDATALEN];
	char		suggestion[RP_SUGGESTION_LEN];
	uint16		call_start;
	uint16		call_len;
} RpRepeatDesc;

/* What a detection knows about the repeated statement, besides counters */
typedef struct RpRepeatInfo
{
	uint64		queryid;		/* core's query id, 0 if none */
	const char *query;			/* normalized text */
	const char *source_query;	/* normalized text of the "1", or NULL */
	const char *proof;			/* where the keys came from, or NULL */
	RpRepeatDesc desc;
} RpRepeatInfo;

/* A copy of one entry, taken for the stats view */
typedef struct RpStatsSnapshot
{
	RpStatsKey	key;
	RpCounters	counters;
	uint64		queryid;
	RpRepeatDesc desc;
	char		proof[RP_PROOF_LEN];	/* empty when not proven */
	char	   *query;
	char	   *source_query;	/* NULL when unknown */
} RpStatsSnapshot;

typedef struct RpStatsInfo
{
	int64		entries;
	int64		max_entries;
	int64		evictions;
	int64		unproven;		/* repeats left out for lack of proof */
	TimestampTz stats_reset;
} RpStatsInfo;

typedef void (*RpStatsVisitor) (const RpStatsSnapshot *snap, void *arg);

/*
 * Where an entry was last found, kept by callers to skip the hash lookup
 * next time; checked against the key before use, so a stale one is
 * harmless.
 */
typedef struct RpStatsEntry *RpStatsRef;

/*
 * What one count adds to an entry: units in which the shape repeated (a
 * unit is counted once, when it first repeats), calls executions started
 * at now, ms of time, and the unit's executions so far, repeats (for
 * max_repeats).
 */
static inline RpCounters
rp_stats_delta(int64 units, int64 calls, double ms, int64 repeats,
			   TimestampTz now)
{
	RpCounters	delta;

	delta.units = units;
	delta.calls = calls;
	delta.total_time = ms;
	delta.max_repeats = repeats;
	delta.first_seen = 0;
	delta.last_seen = calls > 0 ? now : 0;
	return delta;
}

extern void rp_stats_init(void);
extern bool rp_stats_available(void);
extern bool rp_stats_record_repeat(const RpStatsKey *key, int64 calls,
								   double total_time, TimestampTz now,
								   const RpRepeatInfo *info,
								   RpStatsRef *ref, uint64 *removals);
extern bool rp_stats_add(const RpStatsKey *key, uint64 gen,
						 const RpCounters *delta, RpStatsRef *ref,
						 uint64 *removals);
extern bool rp_stats_count(const RpStatsKey *key, uint64 gen,
						   const RpCounters *delta, int *hint,
						   RpStatsRef *ref);
extern bool rp_stats_count_execution(const RpStatsKey *key, uint64 gen,
									 int64 calls, double ms, int64 repeats,
									 TimestampTz now, int *hint,
									 RpStatsRef *ref);
extern uint64 rp_stats_removals(void);
extern bool rp_stats_pending_due(void);
extern void rp_stats_pending_fold(void);
extern void rp_stats_release_at_exit(void);
extern void rp_stats_foreach(RpStatsVisitor visitor, void *arg);
extern TimestampTz rp_stats_reset(Oid userid, Oid dbid, uint64 fingerprint);
extern void rp_stats_info(RpStatsInfo *info);
extern void rp_stats_count_unproven(void);

#endif							/* RP_STATS_H */
