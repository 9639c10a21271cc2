/*-------------------------------------------------------------------------
 *
 * rp_fetch_map.h
 *	  The key maps of a running fetch, shared by rp_fetch_exec.c (which
 *	  fills them and matches rows against them) and rp_fetch_query.c (which
 *	  runs a batch's query for their keys).  All of it is the backend's
 *	  own: no locks.
 *
 * A map groups a node's rows by key (RpKey, hashed and compared as its
 * RpKeyType says, rp_fetch_keys.c).  Its entries live in the maps' memory
 * context, the big ones in large blocks of the fetch's maps' arena
 * (rp_arena_alloc_map), which go back to the pool when the call ends.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FETCH_MAP_H
#define RP_FETCH_MAP_H

#include "postgres.h"

#include "rp_fetch.h"

typedef struct RpMapEntry
{
	RpKey		key;
	RpGroup    *group;
	uint32		hash;
	char		status;
} RpMapEntry;

/* What a key map knows besides its entries: its key type, where it lives */
typedef struct RpMapInfo
{
	const RpKeyType *type;
	RpArena    *arena;			/* the fetch's maps' arena */
} RpMapInfo;

#define RP_MAP_TYPE(tb) (((const RpMapInfo *) (tb)->private_data)->type)

#define SH_PREFIX rpmap
#define SH_ELEMENT_TYPE RpMapEntry
#define SH_KEY_TYPE RpKey
#define SH_KEY key
#define SH_HASH_KEY(tb, key) rp_key_hash(RP_MAP_TYPE(tb), key)
#define SH_EQUAL(tb, a, b) rp_key_equal(RP_MAP_TYPE(tb), a, b)
#define SH_SCOPE static inline
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) a->hash
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DEFINE
#define SH_DECLARE
#include "lib/simplehash.h"

/*
 * A map's entries: big ones in the large blocks of the fetch's maps' arena
 * (rp_arena_alloc_map), which go back to the pool when the call ends; the
 * others in the maps' memory context, as simplehash would.
 */
static inline void *
rpmap_allocate(rpmap_hash *tb, Size size)
{
	void	   *result;

	result = rp_arena_alloc_map(((RpMapInfo *) tb->private_data)->arena, size);
	if (result == NULL)
		result = MemoryContextAllocExtended(tb->ctx, size,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	return result;
}

static inline void
rpmap_free(rpmap_hash *tb, void *pointer)
{
	if (!rp_arena_owns(((RpMapInfo *) tb->private_data)->arena, pointer))
		pfree(pointer);
}

extern void rp_sort_groups(RpNode *node, rpmap_hash *map);

/* relprefetch.fetch_keep_size, in kB, and its bounds */
#define RP_FETCH_KEEP_DEFAULT	(64 * 1024)
#define RP_FETCH_KEEP_MAX		(1024 * 1024)

extern int	rp_fetch_keep_size;

extern double rp_fetch_estimated_rows(Oid relid);
extern double rp_fetch_keep_rows(RpNode *node, double lookups);
extern void rp_fetch_kept_attach(RpNode *node, int inc, rpmap_hash *kept,
								 RpRow **rows, int nrows);
extern void rp_fetch_kept_match(rpmap_hash *map, rpmap_hash *kept);
extern void rp_fetch_run_query(RpQuery *query, rpmap_hash *map,
							   const RpKeyType *type, DestReceiver *dest,
							   double rows);

#endif							/* RP_FETCH_MAP_H */
