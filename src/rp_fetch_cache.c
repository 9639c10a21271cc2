/*-------------------------------------------------------------------------
 *
 * rp_fetch_cache.c
 *	  The fetch plan cache: planned fetches kept per backend.
 *
 * At most RP_FETCH_CACHE_SIZE plans, keyed by the call's arguments and
 * standard_conforming_strings (which decides how a fragment's strings are
 * read, so a fragment checked under one setting must be read again under
 * the other), least recently used out first.  A plan's queries are kept
 * with SPI_keepplan; PostgreSQL's plan cache re-plans them when a table
 * changes, when search_path changes, and for row-level security when the
 * role changes.
 *
 * A plan lists the tables it reads; a change to any of them (ALTER TABLE,
 * a foreign key added or dropped on either side, a column added or
 * dropped, a rename), reported by the relationship model, drops it, and so
 * does any change to pg_constraint or pg_namespace (the relationship
 * model again), pg_type or pg_cast (types whose JSON rendering may
 * change).  A plan in use by a running fetch is only marked dead and freed
 * when the fetch releases it, or at the end of the transaction if an error
 * cut the fetch short.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "rp_compat.h"
#include "rp_fetch.h"

#define RP_FETCH_CACHE_SIZE		64

/* The cache, and the counter that orders its entries by last use */
static List *rp_plans = NIL;
static List *rp_dead_plans = NIL;
static uint64 rp_plan_clock = 0;
static bool rp_plan_xact_watched = false;

/* Changes seen, for plans whose planning saw one */
static uint64 rp_plan_invals = 0;

static void
rp_plan_free(RpFetchPlan *plan)
{
	List	   *nodes = list_make1(plan->root);
	ListCell   *lc;

	/* the kept SPI plans are not in plan->cxt */
	foreach(lc, nodes)
	{
		RpNode	   *node = (RpNode *) lfirst(lc);
		SPIPlanPtr	plans[6] = {node->query.plan_all, node->query.plan_keyed,
			node->query.plan_range, node->links.plan_all,
		node->links.plan_keyed, node->links.plan_range};
		int			i;

		for (i = 0; i < lengthof(plans); i++)
		{
			if (plans[i] != NULL)
				SPI_freeplan(plans[i]);
		}
		for (i = 0; i < node->nincludes; i++)
			nodes = lappend(nodes, node->includes[i]);
	}
	list_free(nodes);
	MemoryContextDelete(plan->cxt);
}

/* Take plan out of the cache; free it now, or when its fetch releases it */
static void
rp_plan_kill(RpFetchPlan *plan)
{
	MemoryContext old;

	rp_plans = list_delete_ptr(rp_plans, plan);
	if (plan->refcount == 0)
	{
		rp_plan_free(plan);
		return;
	}
	plan->dead = true;
	old = MemoryContextSwitchTo(TopMemoryContext);
	rp_dead_plans = lappend(rp_dead_plans, plan);
	MemoryContextSwitchTo(old);
}

static void
rp_plan_kill_all(void)
{
	while (rp_plans != NIL)
		rp_plan_kill((RpFetchPlan *) linitial(rp_plans));
}

/*
 * A relation or catalog changed (relid, or InvalidOid for any): drop the
 * plans that read it.  A plan whose planning saw a change may have read
 * the catalogs before it, so it is used once and not cached
 * (rp_plan_invals).
 */
static void
rp_plan_relation_changed(Oid relid)
{
	ListCell   *lc;

	rp_plan_invals++;
	if (!OidIsValid(relid))
	{
		rp_plan_kill_all();
		return;
	}
	foreach(lc, rp_plans)
	{
		RpFetchPlan *plan = (RpFetchPlan *) lfirst(lc);
		int			i;

		for (i = 0; i < plan->nrelids; i++)
		{
			if (plan->relids[i] == relid)
			{
				rp_plan_kill(plan);
				/* the list changed under us: start over */
				rp_plan_relation_changed(relid);
				return;
			}
		}
	}
}

/* A type or cast changed: how a value is rendered may have changed */
static void
rp_plan_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	rp_plan_relation_changed(InvalidOid);
}

/*
 * At the end of a transaction no fetch is running any more: plans that an
 * error left pinned are unpinned, and dead ones freed.  The callback is
 * registered when the session first pins a plan, so that transactions of
 * sessions that run no fetch do not pay for it, and never unregistered:
 * a callback that unregisters itself frees the list entry its caller may
 * still read to find the next one, which not every release guards against.
 */
static void
rp_plan_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT && event != XACT_EVENT_PREPARE)
		return;
	foreach(lc, rp_plans)
		((RpFetchPlan *) lfirst(lc))->refcount = 0;
	foreach(lc, rp_dead_plans)
		rp_plan_free((RpFetchPlan *) lfirst(lc));
	list_free(rp_dead_plans);
	rp_dead_plans = NIL;
}

/* A plan is about to be pinned: watch for the end of the transaction */
static void
rp_plan_watch_xact(void)
{
	if (rp_plan_xact_watched)
		return;
	RegisterXactCallback(rp_plan_xact_callback, NULL);
	rp_plan_xact_watched = true;
}

/*
 * Called by _PG_init: the cache must hear of every change from the start.
 * Changes to relations, constraints and schemas come through the
 * relationship model; types and casts decide how values are rendered.
 */
void
rp_fetch_cache_init(void)
{
	rp_relation_on_change(rp_plan_relation_changed);
	CacheRegisterSyscacheCallback(TYPEOID, rp_plan_syscache_callback,
								  (Datum) 0);
	CacheRegisterSyscacheCallback(CASTSOURCETARGET, rp_plan_syscache_callback,
								  (Datum) 0);
}

/* The part of a cache key that says how fragments' strings are read */
char
rp_fetch_cache_strings_mode(void)
{
	return rp_standard_conforming_strings() ? 's' : 'e';
}

RpFetchPlan *
rp_fetch_cache_lookup(const char *cachekey, uint32 hash)
{
	ListCell   *lc;

	foreach(lc, rp_plans)
	{
		RpFetchPlan *plan = (RpFetchPlan *) lfirst(lc);

		if (plan->hash == hash && strcmp(plan->cachekey, cachekey) == 0)
		{
			rp_plan_watch_xact();
			plan->refcount++;
			plan->lastused = ++rp_plan_clock;
			return plan;
		}
	}
	return NULL;
}

static void
rp_plan_remember(RpFetchPlan *plan)
{
	MemoryContext old;

	if (list_length(rp_plans) >= RP_FETCH_CACHE_SIZE)
	{
		RpFetchPlan *oldest = NULL;
		ListCell   *lc;

		foreach(lc, rp_plans)
		{
			RpFetchPlan *p = (RpFetchPlan *) lfirst(lc);

			if (oldest == NULL || p->lastused < oldest->lastused)
				oldest = p;
		}
		rp_plan_kill(oldest);
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	rp_plans = lappend(rp_plans, plan);
	MemoryContextSwitchTo(old);
	rp_plan_watch_xact();
	plan->refcount++;
	plan->lastused = ++rp_plan_clock;
}

/* Planning of a new plan begins: note the changes seen so far */
void
rp_fetch_cache_begin(RpFetchPlan *plan)
{
	plan->invals = rp_plan_invals;
}

/*
 * A plan, all of whose queries are prepared and kept, is ready: pin it for
 * the caller and cache it, unless something changed while it was planned;
 * then it is used once, and freed by rp_fetch_plan_release or at the end
 * of the transaction.
 */
void
rp_fetch_cache_add(RpFetchPlan *plan)
{
	MemoryContext old;

	MemoryContextSetParent(plan->cxt, CacheMemoryContext);
	if (rp_plan_invals == plan->invals)
	{
		rp_plan_remember(plan);
		return;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	rp_plan_watch_xact();
	plan->refcount = 1;
	plan->dead = true;
	rp_dead_plans = lappend(rp_dead_plans, plan);
	MemoryContextSwitchTo(old);
}

void
rp_fetch_plan_release(RpFetchPlan *plan)
{
	if (plan->refcount > 0)
		plan->refcount--;
	if (plan->dead && plan->refcount == 0)
	{
		rp_dead_plans = list_delete_ptr(rp_dead_plans, plan);
		rp_plan_free(plan);
	}
}
