/*-------------------------------------------------------------------------
 *
 * relprefetch.c
 *	  Module entry point: each subsystem's start-up.
 *
 * relprefetch watches the executor for query shapes that repeat inside one
 * unit of work (the N+1 pattern of ORMs), records them in shared memory and
 * reports them through the relprefetch.stats view; its fetch functions
 * fetch parent rows with their related rows in one call.  Each subsystem
 * defines its own settings in its init function.
 *
 * The settings are defined in every case (but relprefetch.max, which sizes
 * shared memory), so that SET and ALTER DATABASE validate them even in a
 * session that loaded the library late; the executor hooks and shared
 * memory are set up only while shared_preload_libraries is being
 * processed.  The SQL-callable functions refuse to run when that did not
 * happen.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "rp_fetch.h"
#include "rp_fingerprint.h"
#include "rp_hooks.h"
#include "rp_proof.h"
#include "rp_relationship.h"
#include "rp_compat.h"
#include "rp_stats.h"
#include "rp_unit.h"

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	rp_fingerprint_init();
	rp_relationship_init();
	rp_unit_init();
	rp_proof_init();
	rp_hooks_init();
	rp_stats_init();
	rp_fetch_init();

	rp_mark_guc_prefix_reserved("relprefetch");
}
