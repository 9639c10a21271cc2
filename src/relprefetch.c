/*-------------------------------------------------------------------------
 *
 * relprefetch.c
 *	  Module entry point: GUC definitions and subsystem start-up.
 *
 * _PG_init defines the settings in every case (but relprefetch.max, which
 * sizes shared memory), so that SET and ALTER DATABASE validate them even in
 * a session that loaded the library late, but installs the executor hooks
 * and requests shared memory only while shared_preload_libraries is being
 * processed.  The SQL-callable functions refuse to run when that did not
 * happen.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "relprefetch.h"
#include "rp_fetch_plan.h"
#include "rp_fingerprint.h"
#include "rp_hooks.h"
#include "rp_stats.h"

PG_MODULE_MAGIC;

bool		rp_enabled = true;
int			rp_threshold = 5;
int			rp_track = RP_TRACK_TOP;
int			rp_on_detect = RP_ON_DETECT_NONE;
int			rp_unit_gap = 50;
int			rp_fetch_batch_size = 10000;
int			rp_max_entries = 1000;
bool		rp_save = true;

static const struct config_enum_entry rp_track_options[] = {
	{"top", RP_TRACK_TOP, false},
	{"all", RP_TRACK_ALL, false},
	{NULL, 0, false}
};

static const struct config_enum_entry rp_on_detect_options[] = {
	{"none", RP_ON_DETECT_NONE, false},
	{"log", RP_ON_DETECT_LOG, false},
	{"notice", RP_ON_DETECT_NOTICE, false},
	{"warning", RP_ON_DETECT_WARNING, false},
	{"error", RP_ON_DETECT_ERROR, false},
	{NULL, 0, false}
};

void		_PG_init(void);

static void rp_define_gucs(void);

void
_PG_init(void)
{
	rp_define_gucs();
	rp_fingerprint_init();
	rp_fetch_plan_init();

	if (!process_shared_preload_libraries_in_progress)
		return;

	rp_stats_init();
	rp_hooks_init();
}

static void
rp_define_gucs(void)
{
	DefineCustomBoolVariable("relprefetch.enabled",
							 "Counts repeated query shapes to detect N+1 patterns.",
							 NULL,
							 &rp_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("relprefetch.threshold",
							"Executions of one query shape in a unit of work that make it an N+1 suspect.",
							NULL,
							&rp_threshold,
							5,
							2, INT_MAX,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("relprefetch.track",
							 "Which statements are counted: top (sent by the client) or all (also those nested in functions).",
							 NULL,
							 &rp_track,
							 RP_TRACK_TOP,
							 rp_track_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("relprefetch.on_detect",
							 "What happens when a query shape reaches the threshold in a unit of work.",
							 NULL,
							 &rp_on_detect,
							 RP_ON_DETECT_NONE,
							 rp_on_detect_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("relprefetch.unit_gap",
							"Idle time that ends a unit of work made of autocommit statements.",
							NULL,
							&rp_unit_gap,
							50,
							0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("relprefetch.fetch_batch_size",
							"Parent rows that fetch_json and fetch_children read and hold at a time.",
							NULL,
							&rp_fetch_batch_size,
							10000,
							1, 1000000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("relprefetch.save",
							 "Saves the statistics across server shutdowns.",
							 NULL,
							 &rp_save,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	/*
	 * It sizes shared memory, so it exists only when the library is
	 * preloaded: defining a PGC_POSTMASTER setting later is a FATAL error.
	 */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("relprefetch.max",
								"Repeated query shapes kept in shared memory.",
								NULL,
								&rp_max_entries,
								1000,
								100, INT_MAX / 2,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

	MarkGUCPrefixReserved("relprefetch");
}
