/*-------------------------------------------------------------------------
 *
 * rp_stats_internal.h
 *	  The shared table's entries and state, for the files of the stats
 *	  subsystem only (rp_stats.c, rp_stats_file.c).  Locking rules: see
 *	  rp_stats.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_STATS_INTERNAL_H
#define RP_STATS_INTERNAL_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/hsearch.h"

#include "rp_stats.h"

typedef struct RpStatsEntry
{
	RpStatsKey	key;			/* hash key; must be first */
	bool		valid;			/* false once removed from the table */
	uint64		created_gen;	/* removals when it was created */
	slock_t		mutex;			/* guards counters and usage */
	RpCounters	counters;
	double		usage;			/* eviction priority: lowest goes first */
	uint64		queryid;
	RpRepeatDesc desc;
	char		proof[RP_PROOF_LEN];	/* empty when not proven */
	int			query_len;
	int			source_len;		/* -1 when the source query is unknown */
	/* query text, then source query text, rp_text_size bytes each */
	char		texts[FLEXIBLE_ARRAY_MEMBER];
} RpStatsEntry;

typedef struct RpSharedState
{
	LWLock	   *lock;
	double		median_usage;	/* usage given to new entries; under lock */
	pg_atomic_uint64 removals;	/* entries removed; changed under lock */
	pg_atomic_uint64 unproven;	/* repeats left out for lack of proof */
	slock_t		mutex;			/* guards the two fields below */
	int64		evictions;
	TimestampTz stats_reset;
} RpSharedState;

/* Settings (rp_stats.c) */
extern int	rp_max_entries;
extern bool rp_save;

extern RpSharedState *rp_shared;
extern HTAB *rp_hash;

/* Bytes kept of each text, NUL included: the server's own query text size */
extern int	rp_text_size;

static inline char *
rp_entry_text(RpStatsEntry *entry, int slot)
{
	return entry->texts + slot * rp_text_size;
}

/* rp_stats.c; the caller holds the exclusive lock */
extern RpStatsEntry *rp_entry_create(const RpStatsKey *key, TimestampTz now);
extern void rp_set_text(RpStatsEntry *entry, int slot, const char *text);

/* rp_stats_file.c; at shutdown and start, by the postmaster */
extern void rp_stats_save(void);
extern void rp_stats_load(void);

#endif							/* RP_STATS_INTERNAL_H */
