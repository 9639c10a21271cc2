/*-------------------------------------------------------------------------
 *
 * relprefetch.h
 *	  Settings and declarations shared by every relprefetch subsystem.
 *
 * relprefetch watches the executor for query shapes that repeat inside one
 * unit of work (the N+1 pattern of ORMs), records them in shared memory and
 * reports them through the relprefetch.stats view.  Each subsystem has its
 * own header; this one holds the GUC variables and the few constants that
 * several of them need.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RELPREFETCH_H
#define RELPREFETCH_H

#include "postgres.h"

/* What relprefetch.track accepts */
typedef enum RpTrackLevel
{
	RP_TRACK_TOP,				/* only statements issued by the client */
	RP_TRACK_ALL				/* also statements nested in functions */
} RpTrackLevel;

/* What relprefetch.on_detect accepts */
typedef enum RpOnDetect
{
	RP_ON_DETECT_NONE,
	RP_ON_DETECT_LOG,
	RP_ON_DETECT_NOTICE,
	RP_ON_DETECT_WARNING,
	RP_ON_DETECT_ERROR
} RpOnDetect;

/* GUC variables, defined in relprefetch.c */
extern bool rp_enabled;
extern int	rp_threshold;
extern int	rp_track;
extern int	rp_on_detect;
extern int	rp_unit_gap;
extern int	rp_fetch_batch_size;
extern int	rp_max_entries;
extern bool rp_save;

/* Lengths of the names and advice kept with each shared entry */
#define RP_RELATION_LEN		(2 * NAMEDATALEN + 8)
#define RP_SUGGESTION_LEN	1024

#endif							/* RELPREFETCH_H */
