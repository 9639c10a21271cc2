/*-------------------------------------------------------------------------
 *
 * rp_stats.c
 *	  Shared-memory table of repeated query shapes, and its file.
 *
 * Locking rules.
 *	- RpSharedState->lock (an LWLock) guards the hash table itself: looking
 *	  an entry up needs it in shared mode; creating, evicting and removing
 *	  entries needs it exclusively.
 *	- The counters and usage of an entry are guarded by the entry's
 *	  spinlock.  A holder of the exclusive lock may touch them without it
 *	  (nobody else can reach the entry), but always taking it keeps the code
 *	  simple, so we do.
 *	- Every other field of an entry (texts, names, queryid, valid) is written
 *	  only under the exclusive lock, so readers holding the shared lock may
 *	  copy them without the spinlock.
 *	- Backends remember where they last found an entry (RpStatsRef).  Such a
 *	  pointer is only followed under the lock, and trusted only if the entry
 *	  there is valid and has the expected key: dynahash never gives its
 *	  memory back, and an entry is marked invalid before it is removed, so a
 *	  pointer to a removed or reused entry is recognised and looked up
 *	  afresh.
 *	- RpSharedState->mutex (a spinlock) guards evictions and stats_reset.
 *
 * Executions of a shape that already repeated in a unit, and a unit that
 * repeats a shape whose entry the backend described before (a loop run in
 * every request, the entry not removed since), go without any lock to the
 * backend's own pending slot (RpPendingSlot, one per backend,
 * written only by its owner): the owner bumps the slot's changecount
 * before and after each change (odd while it writes), and readers copy the
 * slot until they see the same even count on both sides.  The owner folds
 * its slot into the table, under the exclusive lock, when a unit ends with
 * the slot half full or entries removed since its last fold, and when it
 * exits; readers hold the shared lock while they add the slots to the
 * table's counters, so a fold is never seen twice or half.  (Folding at
 * every unit's end would lock the table twice per unit that repeats a
 * shape; the slot of a loop run in every request holds one delta, which
 * the view adds in.)
 *	- RpSharedState->removals counts removed entries (resets, evictions),
 *	  and an entry remembers its value when it was created: deltas gathered
 *	  before an entry of the same key was removed and created again belong
 *	  to the old one, and are dropped.
 *
 * Nothing here runs on the common path of the executor hooks: a backend
 * only comes here once a query shape has reached relprefetch.threshold in
 * its current unit of work.
 *
 * The table survives clean restarts through its file (rp_stats_file.c).
 * The entry and shared state types are in rp_stats_internal.h, for the two
 * files of this subsystem.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rp_compat.h"
#include "rp_stats_internal.h"


/* Share of the entries dropped when the table is full, and usage decay */
#define RP_EVICT_PERCENT	5
#define RP_USAGE_DECAY		0.99

/* Settings, and their defaults */
#define RP_MAX_ENTRIES_DEFAULT	1000
#define RP_MAX_ENTRIES_MIN		100

int			rp_max_entries = RP_MAX_ENTRIES_DEFAULT;
bool		rp_save = true;



/* Deltas of one repeated shape not yet folded into its entry */
typedef struct RpPending
{
	RpStatsKey	key;
	uint64		gen;			/* removals when they started */
	RpCounters	delta;			/* calls, total_time, max_repeats, last_seen */
} RpPending;

/* Shapes a backend can keep pending at once; more go to the table at once */
#define RP_PENDING_MAX		16

typedef struct RpPendingSlot
{
	uint32		changecount;	/* odd while the owner writes */
	int			npending;
	RpPending	pending[RP_PENDING_MAX];
} RpPendingSlot;


static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

RpSharedState *rp_shared = NULL;
HTAB	   *rp_hash = NULL;
static RpPendingSlot *rp_slots = NULL;	/* MaxBackends of them */
static uint64 rp_folded_removals = 0;	/* removals when our slot was last
										 * folded */

/* Bytes kept of each text, NUL included: the server's own query text size */
int			rp_text_size = 0;

static void rp_shmem_request(void);
static void rp_shmem_startup(void);
static void rp_shmem_shutdown(int code, Datum arg);
static Size rp_entry_size(void);
static Size rp_shmem_size(void);
static void rp_evict(void);
static void rp_slot_fold(RpPendingSlot *slot);
static HTAB *rp_pending_collect(void);

/*
 * Add what was counted elsewhere (units, calls, total_time, max_repeats and
 * last_seen of delta) to counters.
 */
static inline void
rp_counters_merge(RpCounters *counters, const RpCounters *delta)
{
	counters->units += delta->units;
	counters->calls += delta->calls;
	counters->total_time += delta->total_time;
	counters->max_repeats = Max(counters->max_repeats, delta->max_repeats);
	counters->last_seen = Max(counters->last_seen, delta->last_seen);
}

/*
 * Define the settings of the shared table, and when the library is
 * preloaded, the one that sizes it (a PGC_POSTMASTER setting defined later
 * is a FATAL error) and the shared memory itself.
 */
void
rp_stats_init(void)
{
	DefineCustomBoolVariable("relprefetch.save",
							 "Saves the statistics across server shutdowns.",
							 NULL,
							 &rp_save,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("relprefetch.max",
							"Repeated query shapes kept in shared memory.",
							NULL,
							&rp_max_entries,
							RP_MAX_ENTRIES_DEFAULT,
							RP_MAX_ENTRIES_MIN, INT_MAX / 2,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	rp_install_shmem_request_hook(rp_shmem_request, &prev_shmem_request_hook);
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = rp_shmem_startup;
}

bool
rp_stats_available(void)
{
	return rp_shared != NULL && rp_hash != NULL;
}

static Size
rp_entry_size(void)
{
	return MAXALIGN(offsetof(RpStatsEntry, texts) + 2 * rp_text_size);
}

static Size
rp_shmem_size(void)
{
	Size		size = MAXALIGN(sizeof(RpSharedState));

	size = add_size(size, MAXALIGN(mul_size(rp_max_backends(),
											sizeof(RpPendingSlot))));
	return add_size(size,
					hash_estimate_size(rp_max_entries, rp_entry_size()));
}

static void
rp_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	rp_text_size = pgstat_track_activity_query_size;
	RequestAddinShmemSpace(rp_shmem_size());
	RequestNamedLWLockTranche("relprefetch", 1);
}

static void
rp_shmem_startup(void)
{
	HASHCTL		info;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	/* set again: backends of EXEC_BACKEND builds skip the request hook */
	rp_text_size = pgstat_track_activity_query_size;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	rp_shared = ShmemInitStruct("relprefetch", sizeof(RpSharedState), &found);
	if (!found)
	{
		rp_shared->lock = &(GetNamedLWLockTranche("relprefetch"))->lock;
		rp_shared->median_usage = 1.0;
		pg_atomic_init_u64(&rp_shared->removals, 0);
		pg_atomic_init_u64(&rp_shared->unproven, 0);
		SpinLockInit(&rp_shared->mutex);
		rp_shared->evictions = 0;
		rp_shared->stats_reset = GetCurrentTimestamp();
	}

	rp_slots = ShmemInitStruct("relprefetch pending",
							   mul_size(MaxBackends, sizeof(RpPendingSlot)),
							   &found);
	if (!found)
		memset(rp_slots, 0, mul_size(MaxBackends, sizeof(RpPendingSlot)));

	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(RpStatsKey);
	info.entrysize = rp_entry_size();
	rp_hash = rp_shmem_init_hash("relprefetch hash", rp_max_entries,
								 &info, HASH_ELEM | HASH_BLOBS);

	LWLockRelease(AddinShmemInitLock);

	/* only the postmaster (or a single-user backend) loads and saves */
	if (!IsUnderPostmaster)
	{
		on_shmem_exit(rp_shmem_shutdown, (Datum) 0);
		if (!found)
			rp_stats_load();
	}
}

static void
rp_shmem_shutdown(int code, Datum arg)
{
	int			b;

	/* after a crash the table may be inconsistent: do not keep it */
	if (code != 0 || !rp_stats_available())
		return;

	/*
	 * Backends are gone; those stopped by an immediate shutdown did not fold
	 * their slots: do it for them, but for a slot caught mid-write.
	 */
	for (b = 0; b < MaxBackends; b++)
	{
		if (rp_slots[b].npending > 0 && (rp_slots[b].changecount & 1) == 0)
			rp_slot_fold(&rp_slots[b]);
	}

	rp_stats_save();
}

/*
 * Create an entry, evicting others first if the table is full.  Caller must
 * hold the exclusive lock.
 */
RpStatsEntry *
rp_entry_create(const RpStatsKey *key, TimestampTz now)
{
	RpStatsEntry *entry;
	bool		found;

	while (hash_get_num_entries(rp_hash) >= rp_max_entries)
		rp_evict();

	entry = (RpStatsEntry *) hash_search(rp_hash, key, HASH_ENTER, &found);
	Assert(!found);

	entry->valid = true;
	entry->created_gen = pg_atomic_read_u64(&rp_shared->removals);
	SpinLockInit(&entry->mutex);
	memset(&entry->counters, 0, sizeof(entry->counters));
	entry->counters.first_seen = now;
	entry->usage = rp_shared->median_usage;
	entry->queryid = 0;
	memset(&entry->desc, 0, sizeof(entry->desc));
	entry->proof[0] = '\0';
	entry->query_len = 0;
	entry->source_len = -1;
	rp_entry_text(entry, 0)[0] = '\0';
	rp_entry_text(entry, 1)[0] = '\0';
	return entry;
}

/* Remove an entry.  Caller must hold the exclusive lock. */
static void
rp_entry_remove(RpStatsEntry *entry)
{
	entry->valid = false;
	pg_atomic_fetch_add_u64(&rp_shared->removals, 1);
	hash_search(rp_hash, &entry->key, HASH_REMOVE, NULL);
}

/*
 * The entry for key, trying *ref first; *ref is updated.  Caller must hold
 * the lock, in either mode.
 */
static RpStatsEntry *
rp_entry_find(const RpStatsKey *key, RpStatsRef *ref)
{
	RpStatsEntry *entry = *ref;

	if (entry == NULL || !entry->valid ||
		entry->key.fingerprint != key->fingerprint ||
		entry->key.userid != key->userid || entry->key.dbid != key->dbid)
	{
		entry = (RpStatsEntry *) hash_search(rp_hash, key, HASH_FIND, NULL);
		*ref = entry;
	}
	return entry;
}

/* An entry as eviction ranks it: its usage, with the units still pending */
typedef struct RpEvictRank
{
	RpStatsEntry *entry;
	double		usage;
} RpEvictRank;

static int
rp_usage_cmp(const void *a, const void *b)
{
	double		ua = ((const RpEvictRank *) a)->usage;
	double		ub = ((const RpEvictRank *) b)->usage;

	return (ua < ub) ? -1 : (ua > ub) ? 1 : 0;
}

/*
 * Drop the least used entries.  Usage grows by one per unit of work in
 * which a shape repeats and decays a little at each eviction, so shapes
 * that stopped repeating long ago go before recent or frequent ones.
 * Caller must hold the exclusive lock.
 */
static void
rp_evict(void)
{
	HASH_SEQ_STATUS hash_seq;
	RpEvictRank *ranks;
	RpStatsEntry *entry;
	HTAB	   *pending;
	int			n = 0;
	int			nvictims;
	int			i;

	/*
	 * A loop that sessions run in every request is counted in their slots
	 * (rp_stats_count) and gains its usage only when they fold them: its
	 * units still pending count here too, or it could go first.
	 */
	pending = rp_pending_collect();
	ranks = palloc(hash_get_num_entries(rp_hash) * sizeof(RpEvictRank));
	hash_seq_init(&hash_seq, rp_hash);
	while ((entry = hash_seq_search(&hash_seq)) != NULL)
	{
		RpPending  *sum = hash_search(pending, &entry->key, HASH_FIND, NULL);

		entry->usage *= RP_USAGE_DECAY;
		ranks[n].entry = entry;
		ranks[n].usage = entry->usage + (sum != NULL ? sum->delta.units : 0);
		n++;
	}
	hash_destroy(pending);
	if (n == 0)
	{
		pfree(ranks);
		return;
	}

	qsort(ranks, n, sizeof(RpEvictRank), rp_usage_cmp);
	rp_shared->median_usage = ranks[n / 2].entry->usage;

	nvictims = Max(1, n * RP_EVICT_PERCENT / 100);
	for (i = 0; i < nvictims; i++)
		rp_entry_remove(ranks[i].entry);

	SpinLockAcquire(&rp_shared->mutex);
	rp_shared->evictions += nvictims;
	SpinLockRelease(&rp_shared->mutex);

	pfree(ranks);
}

/* Store a text in one of the entry's slots; caller holds the exclusive lock */
void
rp_set_text(RpStatsEntry *entry, int slot, const char *text)
{
	char	   *dst = rp_entry_text(entry, slot);
	int			len;

	if (text == NULL)
	{
		dst[0] = '\0';
		len = -1;
	}
	else
	{
		len = strlen(text);
		if (len >= rp_text_size)
			len = pg_mbcliplen(text, len, rp_text_size - 1);
		memcpy(dst, text, len);
		dst[len] = '\0';
	}
	if (slot == 0)
		entry->query_len = Max(len, 0);
	else
		entry->source_len = len;
}

/*
 * Count a unit's repeat in the shared table: calls executions so far,
 * taking total_time ms, described by info; sets *removals to the stats
 * removals count it was recorded at.  When info is NULL, an existing
 * entry's description is kept, and if there is no entry nothing is done
 * and false is returned, for the caller to describe the repeat and call
 * again (describing costs more than the rest, and is done outside the
 * lock).
 */
bool
rp_stats_record_repeat(const RpStatsKey *key, int64 calls, double total_time,
					   TimestampTz now, const RpRepeatInfo *info,
					   RpStatsRef *ref, uint64 *removals)
{
	RpStatsEntry *entry;

	Assert(rp_stats_available());

	LWLockAcquire(rp_shared->lock, LW_EXCLUSIVE);

	entry = rp_entry_find(key, ref);
	if (entry == NULL)
	{
		if (info == NULL)
		{
			LWLockRelease(rp_shared->lock);
			return false;
		}
		entry = rp_entry_create(key, now);
		*ref = entry;
	}

	SpinLockAcquire(&entry->mutex);
	entry->counters.units += 1;
	entry->counters.calls += calls;
	entry->counters.max_repeats = Max(entry->counters.max_repeats, calls);
	entry->counters.total_time += total_time;
	entry->counters.last_seen = now;
	entry->usage += 1.0;
	SpinLockRelease(&entry->mutex);

	if (info != NULL)
	{
		entry->queryid = info->queryid;
		entry->desc = info->desc;
		strlcpy(entry->proof, info->proof ? info->proof : "",
				sizeof(entry->proof));
		rp_set_text(entry, 0, info->query);
		rp_set_text(entry, 1, info->source_query);
	}

	*removals = pg_atomic_read_u64(&rp_shared->removals);
	LWLockRelease(rp_shared->lock);
	return true;
}

/*
 * A delta of a shape that repeated (rp_stats_delta), added straight to its
 * entry.  gen is the removals count the caller's deltas date from: an entry
 * created since is another one.  Returns false, adding nothing, when the
 * entry is gone or is another one; otherwise sets *removals (when not NULL)
 * to the removals count read under the lock, from which the caller's deltas
 * are now valid.
 */
bool
rp_stats_add(const RpStatsKey *key, uint64 gen, const RpCounters *delta,
			 RpStatsRef *ref, uint64 *removals)
{
	RpStatsEntry *entry;
	bool		ok;

	LWLockAcquire(rp_shared->lock, LW_SHARED);
	entry = rp_entry_find(key, ref);
	ok = (entry != NULL && entry->created_gen <= gen);
	if (ok)
	{
		SpinLockAcquire(&entry->mutex);
		rp_counters_merge(&entry->counters, delta);
		entry->usage += delta->units;
		SpinLockRelease(&entry->mutex);
		if (removals != NULL)
			*removals = pg_atomic_read_u64(&rp_shared->removals);
	}
	LWLockRelease(rp_shared->lock);
	return ok;
}

/* Entries removed so far: when it changes, pending deltas may be stale */
uint64
rp_stats_removals(void)
{
	return pg_atomic_read_u64(&rp_shared->removals);
}

static inline RpPendingSlot *
rp_my_slot(void)
{
	return &rp_slots[rp_my_backend_index()];
}

static inline bool
rp_pending_is(const RpPending *p, const RpStatsKey *key, uint64 gen)
{
	return p->key.fingerprint == key->fingerprint &&
		p->key.userid == key->userid && p->key.dbid == key->dbid &&
		p->gen == gen;
}

/* The deltas of key at hint in slot (where they were last time), or NULL */
static inline RpPending *
rp_pending_at_hint(RpPendingSlot *slot, const RpStatsKey *key, uint64 gen,
				   int hint)
{
	if (hint >= 0 && hint < slot->npending &&
		rp_pending_is(&slot->pending[hint], key, gen))
		return &slot->pending[hint];
	return NULL;
}

/*
 * The owner's writes to its slot go between these two: a reader that sees
 * the same even changecount before and after its copy saw no write half
 * done.
 */
static inline void
rp_slot_write_begin(RpPendingSlot *slot)
{
	slot->changecount++;
	pg_write_barrier();
}

static inline void
rp_slot_write_end(RpPendingSlot *slot)
{
	pg_write_barrier();
	slot->changecount++;
}

/*
 * Add delta to this backend's pending deltas for key, gathered since gen.
 * No lock: only this backend writes its slot.  *hint is where the deltas
 * were last time (-1 if unknown) and is updated.  Returns false when the
 * slot is full.
 */
static bool
rp_pending_add(const RpStatsKey *key, uint64 gen, const RpCounters *delta,
			   int *hint)
{
	RpPendingSlot *slot = rp_my_slot();
	RpPending  *p = rp_pending_at_hint(slot, key, gen, *hint);
	int			i;

	if (p == NULL)
	{
		for (i = 0; i < slot->npending; i++)
		{
			if (rp_pending_is(&slot->pending[i], key, gen))
			{
				p = &slot->pending[i];
				*hint = i;
				break;
			}
		}
	}
	if (p == NULL && slot->npending == RP_PENDING_MAX)
		return false;

	rp_slot_write_begin(slot);
	if (p == NULL)
	{
		*hint = slot->npending;
		p = &slot->pending[slot->npending];
		p->key = *key;
		p->gen = gen;
		memset(&p->delta, 0, sizeof(p->delta));
		slot->npending++;
	}
	rp_counters_merge(&p->delta, delta);
	rp_slot_write_end(slot);
	return true;
}

/*
 * Count delta (rp_stats_delta) for key, gathered since gen (the removals
 * count at which the caller last knew its entry to exist): in this
 * backend's pending slot, without a lock, or when the slot is full, in the
 * entry itself (rp_stats_add).  *hint is the key's place in the slot (-1
 * if unknown), *ref where its entry was last found.  Returns false when
 * the delta was dropped because the entry is gone; a delta in the slot of
 * an entry removed since gen is dropped when the slot is folded.
 */
bool
rp_stats_count(const RpStatsKey *key, uint64 gen, const RpCounters *delta,
			   int *hint, RpStatsRef *ref)
{
	if (rp_my_backend_index() >= 0 && rp_pending_add(key, gen, delta, hint))
		return true;
	return rp_stats_add(key, gen, delta, ref, NULL);
}

/*
 * One finished execution of an entry: its call if that waited (calls is 0
 * or 1), its time, its unit's repeats so far, and the statement's start
 * (the entry's last_seen, with a call).  What rp_stats_count does, without
 * a delta to make, when the entry is at *hint in this backend's pending
 * slot: where every execution of a loop finds it.
 */
static pg_noinline bool
rp_stats_count_execution_elsewhere(const RpStatsKey *key, uint64 gen,
								   int64 calls, double ms, int64 repeats,
								   TimestampTz now, int *hint,
								   RpStatsRef *ref)
{
	RpCounters	delta = rp_stats_delta(0, calls, ms, repeats, now);

	return rp_stats_count(key, gen, &delta, hint, ref);
}

bool
rp_stats_count_execution(const RpStatsKey *key, uint64 gen, int64 calls,
						 double ms, int64 repeats, TimestampTz now,
						 int *hint, RpStatsRef *ref)
{
	if (*hint >= 0 && rp_my_backend_index() >= 0)
	{
		RpPendingSlot *slot = rp_my_slot();
		RpPending  *p = rp_pending_at_hint(slot, key, gen, *hint);

		if (p != NULL)
		{
			rp_slot_write_begin(slot);
			p->delta.calls += calls;
			p->delta.total_time += ms;
			p->delta.max_repeats = Max(p->delta.max_repeats, repeats);
			if (calls > 0 && now > p->delta.last_seen)
				p->delta.last_seen = now;
			rp_slot_write_end(slot);
			return true;
		}
	}
	return rp_stats_count_execution_elsewhere(key, gen, calls, ms, repeats,
											  now, hint, ref);
}

/* May pending deltas gathered since gen count for this entry? */
static inline bool
rp_pending_belongs(const RpPending *p, const RpStatsEntry *entry)
{
	return entry != NULL && p->gen >= entry->created_gen;
}

/*
 * Fold a slot's deltas into the table and empty it.  Deltas whose entry is
 * gone, or was created again since, are dropped.  Caller holds the lock
 * exclusively, or is alone.
 */
static void
rp_slot_fold(RpPendingSlot *slot)
{
	int			i;

	for (i = 0; i < slot->npending; i++)
	{
		RpPending  *p = &slot->pending[i];
		RpStatsEntry *entry = hash_search(rp_hash, &p->key, HASH_FIND, NULL);

		if (!rp_pending_belongs(p, entry))
			continue;
		SpinLockAcquire(&entry->mutex);
		rp_counters_merge(&entry->counters, &p->delta);
		entry->usage += p->delta.units;
		SpinLockRelease(&entry->mutex);
	}
	rp_slot_write_begin(slot);
	slot->npending = 0;
	rp_slot_write_end(slot);
}

/* Fold this backend's pending deltas into the table */
void
rp_stats_pending_fold(void)
{
	RpPendingSlot *slot;

	if (!rp_stats_available() || rp_my_backend_index() < 0)
		return;
	slot = rp_my_slot();
	if (slot->npending == 0)
		return;

	LWLockAcquire(rp_shared->lock, LW_EXCLUSIVE);
	rp_folded_removals = pg_atomic_read_u64(&rp_shared->removals);
	rp_slot_fold(slot);
	LWLockRelease(rp_shared->lock);
}

/*
 * Should the slot be folded now that a unit ended?  When it is half full
 * (a full slot sends deltas to the table under the lock), or when entries
 * were removed since it was last folded: the deltas of removed entries are
 * dropped at a fold, and should not take up the slot.
 */
bool
rp_stats_pending_due(void)
{
	return !rp_stats_available() || rp_my_backend_index() < 0 ||
		rp_my_slot()->npending >= RP_PENDING_MAX / 2 ||
		rp_stats_removals() != rp_folded_removals;
}

/*
 * At exit, before anything else is added: a FATAL error may have left our
 * lock held (the transaction abort that would release it runs after this).
 */
void
rp_stats_release_at_exit(void)
{
	if (rp_stats_available() && LWLockHeldByMe(rp_shared->lock))
		LWLockRelease(rp_shared->lock);
}


/*
 * Copy a slot consistently (see the locking rules).  An owner caught
 * writing finishes in a few instructions (nothing between its two counter
 * bumps can wait or fail), so we wait for it, as readers of PostgreSQL's
 * own st_changecount do.
 */
static void
rp_slot_copy(RpPendingSlot *slot, RpPendingSlot *copy)
{
	volatile RpPendingSlot *vslot = slot;
	int			tries;

	for (tries = 0;; tries++)
	{
		uint32		before = vslot->changecount;
		int			n;

		pg_read_barrier();
		n = Min(Max(vslot->npending, 0), RP_PENDING_MAX);
		copy->npending = n;
		memcpy(copy->pending, slot->pending, n * sizeof(RpPending));
		pg_read_barrier();
		if ((before & 1) == 0 && before == vslot->changecount)
			return;
		if (tries < 1000)
			pg_spin_delay();
		else
			pg_usleep(100L);
	}
}

/*
 * The pending deltas of every backend that belong to current entries,
 * summed per key.  Caller holds the lock, in either mode.
 */
static HTAB *
rp_pending_collect(void)
{
	HASHCTL		ctl;
	HTAB	   *sums;
	RpPendingSlot *copy = palloc(sizeof(RpPendingSlot));
	int			b;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(RpStatsKey);
	ctl.entrysize = sizeof(RpPending);
	ctl.hcxt = CurrentMemoryContext;
	sums = hash_create("relprefetch pending sums", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	for (b = 0; b < MaxBackends; b++)
	{
		int			i;

		if (rp_slots[b].npending == 0)
			continue;
		rp_slot_copy(&rp_slots[b], copy);
		for (i = 0; i < copy->npending; i++)
		{
			RpPending  *p = &copy->pending[i];
			RpStatsEntry *entry = hash_search(rp_hash, &p->key, HASH_FIND,
											  NULL);
			RpPending  *sum;
			bool		found;

			if (!rp_pending_belongs(p, entry))
				continue;
			sum = hash_search(sums, &p->key, HASH_ENTER, &found);
			if (!found)
				memset(&sum->delta, 0, sizeof(sum->delta));
			rp_counters_merge(&sum->delta, &p->delta);
		}
	}
	pfree(copy);
	return sums;
}

/*
 * Call visitor with a copy of every entry, under the shared lock.  Texts are
 * palloc'd in the caller's memory context.
 */
void
rp_stats_foreach(RpStatsVisitor visitor, void *arg)
{
	HASH_SEQ_STATUS hash_seq;
	RpStatsEntry *entry;
	RpStatsSnapshot snap;
	HTAB	   *pending;

	LWLockAcquire(rp_shared->lock, LW_SHARED);
	pending = rp_pending_collect();
	hash_seq_init(&hash_seq, rp_hash);
	while ((entry = hash_seq_search(&hash_seq)) != NULL)
	{
		RpPending  *sum;

		snap.key = entry->key;
		SpinLockAcquire(&entry->mutex);
		snap.counters = entry->counters;
		SpinLockRelease(&entry->mutex);
		sum = hash_search(pending, &entry->key, HASH_FIND, NULL);
		if (sum != NULL)
			rp_counters_merge(&snap.counters, &sum->delta);
		snap.queryid = entry->queryid;
		snap.desc = entry->desc;
		memcpy(snap.proof, entry->proof, sizeof(snap.proof));
		snap.query = pnstrdup(rp_entry_text(entry, 0), entry->query_len);
		snap.source_query = entry->source_len < 0 ? NULL :
			pnstrdup(rp_entry_text(entry, 1), entry->source_len);

		visitor(&snap, arg);

		pfree(snap.query);
		if (snap.source_query)
			pfree(snap.source_query);
	}
	hash_destroy(pending);
	LWLockRelease(rp_shared->lock);
}

/*
 * Remove the entries matching the arguments (0 matches anything).  Removing
 * them all also clears the eviction count and sets the reset time.  Returns
 * the time of the reset.
 */
TimestampTz
rp_stats_reset(Oid userid, Oid dbid, uint64 fingerprint)
{
	HASH_SEQ_STATUS hash_seq;
	RpStatsEntry *entry;
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(rp_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&hash_seq, rp_hash);
	while ((entry = hash_seq_search(&hash_seq)) != NULL)
	{
		if ((userid == InvalidOid || entry->key.userid == userid) &&
			(dbid == InvalidOid || entry->key.dbid == dbid) &&
			(fingerprint == 0 || entry->key.fingerprint == fingerprint))
			rp_entry_remove(entry);
	}
	if (userid == InvalidOid && dbid == InvalidOid && fingerprint == 0)
	{
		SpinLockAcquire(&rp_shared->mutex);
		rp_shared->evictions = 0;
		rp_shared->stats_reset = now;
		SpinLockRelease(&rp_shared->mutex);
		pg_atomic_write_u64(&rp_shared->unproven, 0);
		rp_shared->median_usage = 1.0;
	}
	LWLockRelease(rp_shared->lock);
	return now;
}

void
rp_stats_info(RpStatsInfo *info)
{
	LWLockAcquire(rp_shared->lock, LW_SHARED);
	info->entries = hash_get_num_entries(rp_hash);
	LWLockRelease(rp_shared->lock);

	info->max_entries = rp_max_entries;
	SpinLockAcquire(&rp_shared->mutex);
	info->evictions = rp_shared->evictions;
	info->stats_reset = rp_shared->stats_reset;
	SpinLockRelease(&rp_shared->mutex);
	info->unproven = pg_atomic_read_u64(&rp_shared->unproven);
}

/*
 * A repeat was left out for lack of proof (once per shape per unit).  An
 * atomic counter: no lock, whoever calls.
 */
void
rp_stats_count_unproven(void)
{
	if (rp_stats_available())
		pg_atomic_fetch_add_u64(&rp_shared->unproven, 1);
}
