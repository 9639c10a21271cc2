/*-------------------------------------------------------------------------
 *
 * rp_fetch_arena.c
 *	  The arena a fetch's batch keeps its rows in, and the per-backend pool
 *	  of the arena's blocks (relprefetch.fetch_pool_size).
 *
 * Rows are bump-allocated in blocks.  A batch's first RP_ARENA_SMALL_MAX
 * blocks are small (64 kB, allocated in the memory context "relprefetch
 * arena blocks"), so a page of 20 rows takes 64 kB; the blocks after those
 * are large (2 MB), mapped on their own and aligned so that the kernel can
 * back each with one transparent huge page (madvise MADV_HUGEPAGE, where
 * there is such a thing; elsewhere they are allocated as the small ones
 * are).  The memory of a new block is faulted in by the kernel on first
 * touch: in 4 kB pages that was one fault per 4 kB of rows, which on a
 * virtual machine took more time than the fetch's own work (10,000 posts
 * with their comments: about 4,500 faults, 100 ms of a 150 ms call); a
 * large block is one fault.  A fetch's big key maps live in large blocks
 * too, in an arena of their own kept for the whole call
 * (rp_arena_alloc_map): malloc took them from the kernel at every call.
 *
 * When a batch is done, a reset callback of its memory context gives its
 * blocks back to the pool (so an error gives them back too), and the next
 * batch takes them from there.  Within a transaction the pool keeps, of
 * each size, what the largest batch so far took, so that the next batch of
 * that size takes no new block.  At the end of the transaction (and when
 * blocks are given back outside one, as an aborted fetch's are) it keeps at
 * most relprefetch.fetch_pool_size, and no more than the largest batch of
 * the transaction took, and gives the rest back to the operating system, so
 * that an idle backend stays small after a big fetch.
 *
 * Everything is backend-local: no shared memory, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifndef WIN32
#include <sys/mman.h>
#endif

#include "access/xact.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "rp_fetch.h"

/* The two sizes of block, and how many small ones a batch takes first */
#define RP_ARENA_SMALL		(64 * 1024)
#define RP_ARENA_LARGE		(2 * 1024 * 1024)
#define RP_ARENA_SMALL_MAX	8

/* The smallest key map put in a large block (rp_arena_alloc_map) */
#define RP_ARENA_MAP_MIN	(128 * 1024)

/* relprefetch.fetch_pool_size, in kB, and its bounds */
#define RP_FETCH_POOL_DEFAULT	1024
#define RP_FETCH_POOL_MAX		(1024 * 1024)

/* A block, its header at its start */
struct RpBlock
{
	struct RpBlock *next;
	bool		large;
};

#define RP_BLOCK_HEADER		MAXALIGN(sizeof(RpBlock))

/* Free blocks of one size, and the most one batch took in this transaction */
typedef struct RpPool
{
	RpBlock    *free;
	int			nfree;
	int			need;
	Size		size;
} RpPool;

static RpPool rp_pool_small = {NULL, 0, 0, RP_ARENA_SMALL};
static RpPool rp_pool_large = {NULL, 0, 0, RP_ARENA_LARGE};
static MemoryContext rp_pool_cxt = NULL;

static int	rp_fetch_pool_size = RP_FETCH_POOL_DEFAULT;

static void rp_pool_xact_callback(XactEvent event, void *arg);

/* Define relprefetch.fetch_pool_size */
void
rp_arena_init_module(void)
{
	DefineCustomIntVariable("relprefetch.fetch_pool_size",
							"Memory of row blocks that fetch_json and fetch_children keep for the next call between transactions.",
							"Within a transaction, the blocks the largest batch took are kept for the next batch; at its end, at most this much.",
							&rp_fetch_pool_size,
							RP_FETCH_POOL_DEFAULT,
							0, RP_FETCH_POOL_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * Blocks
 * ------------------------------------------------------------------------
 */

/*
 * A new large block: mapped on its own, aligned to its size and advised to
 * be one huge page; NULL where that cannot be done (a small block is used).
 */
static RpBlock *
rp_block_map_large(void)
{
#ifdef MADV_HUGEPAGE
	Size		len = 2 * RP_ARENA_LARGE;
	char	   *start;
	char	   *aligned;

	start = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	if (start == MAP_FAILED)
		return NULL;
	aligned = (char *) TYPEALIGN(RP_ARENA_LARGE, start);
	if (aligned > start)
		munmap(start, aligned - start);
	if (aligned + RP_ARENA_LARGE < start + len)
		munmap(aligned + RP_ARENA_LARGE,
			   (start + len) - (aligned + RP_ARENA_LARGE));
	/* without huge pages it is still one block: the advice may fail */
	(void) madvise(aligned, RP_ARENA_LARGE, MADV_HUGEPAGE);
	return (RpBlock *) aligned;
#else
	return NULL;
#endif
}

static void
rp_block_free(RpBlock *block)
{
	if (block->large)
		munmap(block, RP_ARENA_LARGE);
	else
		pfree(block);
}

/* Free blocks of pool beyond keep; the bytes freed */
static Size
rp_pool_trim(RpPool *pool, int keep)
{
	Size		freed = 0;

	while (pool->nfree > keep)
	{
		RpBlock    *block = pool->free;

		pool->free = block->next;
		pool->nfree--;
		rp_block_free(block);
		freed += pool->size;
	}
	return freed;
}

/*
 * The end of a transaction: keep, of relprefetch.fetch_pool_size, the small
 * blocks first, and only as many of each size as the largest batch of the
 * transaction took if it ran any (a page leaves one block, not the
 * setting's worth); forget the batch sizes seen.  Large blocks go back to
 * the operating system at once; small ones go back to malloc, which keeps
 * them for the backend's next allocations, as it does the rest of the
 * batch's memory (a batch takes at most RP_ARENA_SMALL_MAX of them).
 */
static void
rp_pool_xact_callback(XactEvent event, void *arg)
{
	Size		budget = (Size) rp_fetch_pool_size * 1024;
	int			small;
	int			large;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}
	small = (int) Min(budget / RP_ARENA_SMALL, RP_ARENA_SMALL_MAX);
	if (rp_pool_small.need > 0 || rp_pool_large.need > 0)
		small = Min(small, rp_pool_small.need);
	large = (int) ((budget - (Size) small * RP_ARENA_SMALL) / RP_ARENA_LARGE);
	if (rp_pool_small.need > 0 || rp_pool_large.need > 0)
		large = Min(large, rp_pool_large.need);
	rp_pool_small.need = 0;
	rp_pool_large.need = 0;

	rp_pool_trim(&rp_pool_small, small);
	rp_pool_trim(&rp_pool_large, large);
}

/*
 * The batch's context is reset or deleted: its blocks go to the pool, up
 * to what the largest batch of the transaction took (the next batch may be
 * as large); outside a transaction (an aborted fetch's context deleted
 * after the transaction's end, or a WITH HOLD cursor read later), the
 * transaction's end has trimmed the pool already: up to the setting.
 */
static void
rp_arena_give_back(void *arg)
{
	RpArena    *arena = (RpArena *) arg;
	bool		in_xact = IsTransactionState();
	int			idle_small;
	int			idle_large;

	idle_small = (int) Min(((Size) rp_fetch_pool_size * 1024) / RP_ARENA_SMALL,
						   RP_ARENA_SMALL_MAX);
	idle_large = (int) (((Size) rp_fetch_pool_size * 1024) / RP_ARENA_LARGE);
	if (in_xact)
	{
		rp_pool_small.need = Max(rp_pool_small.need, arena->nsmall);
		rp_pool_large.need = Max(rp_pool_large.need, arena->nlarge);
	}
	while (arena->blocks != NULL)
	{
		RpBlock    *block = arena->blocks;
		RpPool	   *pool = block->large ? &rp_pool_large : &rp_pool_small;
		int			keep = block->large ? idle_large : idle_small;

		if (in_xact)
			keep = Max(keep, pool->need);
		arena->blocks = block->next;
		if (pool->nfree >= keep)
			rp_block_free(block);
		else
		{
			block->next = pool->free;
			pool->free = block;
			pool->nfree++;
		}
	}
	arena->nsmall = 0;
	arena->nlarge = 0;
	arena->oversize = 0;
	arena->next = NULL;
	arena->left = 0;
	arena->armed = false;
}

/* Make an empty arena whose blocks go back to the pool when cxt is reset */
void
rp_arena_init(RpArena *arena, MemoryContext cxt)
{
	memset(arena, 0, sizeof(RpArena));
	arena->cxt = cxt;
}

/*
 * A new block for the arena, from the pool if it has one: a large one when
 * large_only (false if none can be had, nothing taken), else as the rows
 * need.  The ends of transactions are watched from a session's first block
 * on: a backend that never fetches pays nothing at each commit.
 */
static bool
rp_arena_new_block(RpArena *arena, bool large_only)
{
	static bool watching = false;
	RpBlock    *block = NULL;
	bool		large = large_only || arena->nsmall >= RP_ARENA_SMALL_MAX;
	RpPool	   *pool = large ? &rp_pool_large : &rp_pool_small;

	if (!watching)
	{
		RegisterXactCallback(rp_pool_xact_callback, NULL);
		watching = true;
	}

	if (!arena->armed)
	{
		arena->give_back.func = rp_arena_give_back;
		arena->give_back.arg = arena;
		MemoryContextRegisterResetCallback(arena->cxt, &arena->give_back);
		arena->armed = true;
	}
	arena->clean = false;
	if (pool->free != NULL)
	{
		block = pool->free;
		pool->free = block->next;
		pool->nfree--;
	}
	else if (large)
	{
		block = rp_block_map_large();
		arena->clean = block != NULL;
	}
	if (block == NULL && large_only)
		return false;
	if (block == NULL)
	{
		/* a small one: the first blocks, or no large block to be had */
		large = false;
		if (rp_pool_small.free != NULL)
		{
			block = rp_pool_small.free;
			rp_pool_small.free = block->next;
			rp_pool_small.nfree--;
		}
		else
		{
			if (rp_pool_cxt == NULL)
				rp_pool_cxt = AllocSetContextCreate(TopMemoryContext,
													"relprefetch arena blocks",
													ALLOCSET_SMALL_SIZES);
			block = MemoryContextAlloc(rp_pool_cxt, RP_ARENA_SMALL);
		}
	}
	block->large = large;
	block->next = arena->blocks;
	arena->blocks = block;
	if (large)
		arena->nlarge++;
	else
		arena->nsmall++;
	arena->next = (char *) block + RP_BLOCK_HEADER;
	arena->left = (large ? RP_ARENA_LARGE : RP_ARENA_SMALL) - RP_BLOCK_HEADER;
	return true;
}

/* rp_arena_alloc when the current block is full */
void *
rp_arena_alloc_slow(RpArena *arena, Size size)
{
	void	   *result;

	/* a row too big for a small block has an allocation of its own */
	if (size > RP_ARENA_SMALL - RP_BLOCK_HEADER)
	{
		arena->oversize += size;
		return MemoryContextAlloc(arena->cxt, size);
	}
	(void) rp_arena_new_block(arena, false);
	result = arena->next;
	arena->next += size;
	arena->left -= size;
	return result;
}

/*
 * The bytes an arena's rows take so far: its blocks (less what is left of
 * the newest) and the rows too big for one
 */
Size
rp_arena_used(const RpArena *arena)
{
	return (Size) arena->nsmall * RP_ARENA_SMALL +
		(Size) arena->nlarge * RP_ARENA_LARGE + arena->oversize - arena->left;
}

/*
 * Zeroed room for a key map of size bytes, in a large block of an arena of
 * its own (a fetch's maps, kept for the whole call); NULL when the map is
 * too small to be worth a block or too big for one, or no large block can
 * be had: the caller then allocates it as any other memory.  A fetch of
 * 10,000 parents has maps of about 1.5 MB in all, which malloc took from
 * the kernel at every call and which were faulted in 4 kB at a time (about
 * 400 faults, most of a warm call's); in one block they are one huge page
 * where the kernel gives one.  A block fresh from the kernel is zero
 * already and is not cleared again.
 */
void *
rp_arena_alloc_map(RpArena *arena, Size size)
{
	void	   *result;

	size = MAXALIGN(size);
	if (size < RP_ARENA_MAP_MIN || size > RP_ARENA_LARGE - RP_BLOCK_HEADER)
		return NULL;
	if (size > arena->left && !rp_arena_new_block(arena, true))
		return NULL;
	result = arena->next;
	if (!arena->clean)
		memset(result, 0, size);
	arena->next += size;
	arena->left -= size;
	return result;
}

/* Whether pointer is in one of the arena's blocks */
bool
rp_arena_owns(RpArena *arena, const void *pointer)
{
	RpBlock    *block;

	for (block = arena->blocks; block != NULL; block = block->next)
	{
		Size		size = block->large ? RP_ARENA_LARGE : RP_ARENA_SMALL;

		if ((const char *) pointer >= (const char *) block &&
			(const char *) pointer < (const char *) block + size)
			return true;
	}
	return false;
}
