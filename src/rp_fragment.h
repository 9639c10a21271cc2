/*-------------------------------------------------------------------------
 *
 * rp_fragment.h
 *	  The fragment checker: what keeps the caller's SQL fragments (where,
 *	  order_by, parent_where, child_where, child_order_by) in their place.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FRAGMENT_H
#define RP_FRAGMENT_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* What a fragment must be */
typedef enum RpFragment
{
	RP_FRAGMENT_WHERE,			/* one WHERE expression */
	RP_FRAGMENT_ORDER_BY		/* one ORDER BY list */
} RpFragment;

/*
 * Check fragment, given as the value of key what of context (for
 * messages); an error unless it is exactly one fragment of kind.
 */
extern void rp_fragment_check(const char *fragment, RpFragment kind,
							  const char *what, const char *context);
extern List *rp_fragment_order_columns(const char *fragment);

#endif							/* RP_FRAGMENT_H */
