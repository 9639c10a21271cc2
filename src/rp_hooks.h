/*-------------------------------------------------------------------------
 *
 * rp_hooks.h
 *	  Executor and utility hooks that feed the unit-of-work counters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_HOOKS_H
#define RP_HOOKS_H

extern void rp_hooks_init(void);

#endif							/* RP_HOOKS_H */
