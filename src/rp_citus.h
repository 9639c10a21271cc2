/*-------------------------------------------------------------------------
 *
 * rp_citus.h
 *	  What relprefetch knows of Citus, found at run time.
 *
 * relprefetch does not link with Citus nor include its headers: everything
 * here is looked up by name in the catalogs of the current database (the
 * metadata tables pg_dist_partition and pg_dist_shard, the function
 * citus_shard_sizes), and answers "not Citus" when they are absent.
 * See rp_citus.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_CITUS_H
#define RP_CITUS_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/guc.h"

extern bool rp_citus_internal_name(const char *name);
extern bool rp_citus_table(Oid relid);
extern Oid	rp_citus_shard_owner(Oid relid, bool nowait);
extern bool rp_citus_key_in_one_shard(Oid relid, const AttrNumber *cols,
									  int ncols);
extern bool rp_citus_keys(Oid relid, double *keys, double *rows);
extern int	rp_citus_execute_keyed(SPIPlanPtr plan,
								   const SPIExecuteOptions *options);

/*
 * Is this session one of Citus's own connections (from another node, or
 * from its background work)?  Citus names them "citus_internal gpid=...",
 * "citus_rebalancer gpid=..." and so on.  Inline: it runs per statement,
 * and nearly always stops at the first character.
 */
static inline bool
rp_citus_internal_session(void)
{
	return application_name != NULL && application_name[0] == 'c' &&
		rp_citus_internal_name(application_name);
}

#endif							/* RP_CITUS_H */
