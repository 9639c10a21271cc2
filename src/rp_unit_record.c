/*-------------------------------------------------------------------------
 *
 * rp_unit_record.c
 *	  Describing a repeat of a unit of work and recording it in the shared
 *	  table, and what relprefetch.on_detect does then.
 *
 * A repeat is described (its normalized text, its source, its relation,
 * foreign key, proof and suggested call) when it is first recorded, and
 * again only when what its description depends on changed; otherwise its
 * unit is only counted, in the backend's pending slot when it can be
 * (rp_stats_count).  All state is the backend's own (rp_unit_internal.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

#include "rp_describe.h"
#include "rp_fingerprint.h"
#include "rp_relationship.h"
#include "rp_stats.h"
#include "rp_unit_internal.h"

static RpUnitQuery *rp_unit_source(RpUnitQuery *q);

/*
 * A signature with one more value in it.  For each value a bijection of
 * the signature, and for each signature one of the value: whichever one
 * value changes, the signature does.  Cheaper than hash_combine64, and
 * computed at every loop a unit records.
 */
static inline uint64
rp_sig_add(uint64 sig, uint64 value)
{
	return (sig ^ value) * UINT64CONST(0x9e3779b97f4a7c15);
}

/*
 * What a repeat's description depends on, as one number: the user it is
 * recorded for, its source, its proof, and the catalogs (a change of a
 * relationship may change the wording).  Never 0, which is "not described".
 */
static uint64
rp_unit_description_sig(RpUnitQuery *q, Oid userid, RpUnitQuery *source)
{
	uint64		sig = rp_sig_add(q->fingerprint, rp_relation_generation);

	sig = rp_sig_add(sig, userid);
	sig = rp_sig_add(sig, source ? source->fingerprint : 0);
	if (q->proven)
	{
		/* the call's scope: the source's kept text, and whose constants */
		if (source != NULL && source->text != NULL)
		{
			sig = rp_sig_add(sig, (uint64) (uintptr_t) source->text);
			sig = rp_sig_add(sig, rp_source_constants_current(source));
		}
		sig = rp_sig_add(sig, q->proof.position);
		sig = rp_sig_add(sig, q->proof.relid);
		sig = rp_sig_add(sig, q->proof.attnum);
		sig = rp_sig_add(sig, q->proof.matched);
		sig = rp_sig_add(sig, q->proof.executions);
		sig = rp_sig_add(sig, q->proof.nested);
	}
	return sig != 0 ? sig : 1;
}

/*
 * Describe a repeat and record it in the shared table; returns the stats
 * removals count it was recorded at.
 *
 * Describing costs more than the rest of a loop's bookkeeping (the texts
 * are normalized, the plan walked, the proof worded), and a loop in a web
 * request is recorded again in every request.  So a repeat that this
 * backend described the same way before (same user, source, proof and
 * catalogs) only adds to its entry's counters, and keeps the entry's
 * description; it is described again when the entry is gone (a reset, an
 * eviction) or when info is wanted (relprefetch.on_detect).
 */
uint64
rp_unit_record(RpUnitQuery *q, Oid userid, QueryDesc *queryDesc,
			   const char *text, int len, int64 calls, double total_time,
			   RpRepeatInfo *info)
{
	RpStatsKey	key;
	RpUnitQuery *source;
	int			maxlen = pgstat_track_activity_query_size - 1;
	const Oid  *source_relids = NULL;
	int			nsource = 0;
	uint64		sig;
	uint64		removals;
	TimestampTz now = GetCurrentStatementStartTimestamp();
	RpRepeatInfo local;
	RpStatement st;

	/* a proven loop's source is the statement its keys came from */
	source = q->proven ? rpunit_lookup(rp_unit.queries, q->proof.source) :
		rp_unit_source(q);
	sig = rp_unit_description_sig(q, userid, source);
	rp_unit_key(&key, userid, q->fingerprint);
	if (info == NULL && q->described == sig)
	{
		/*
		 * No entry removed since we last counted in ours: it is still there,
		 * and the unit goes to the pending slot, without a lock.
		 */
		if (q->gen == rp_stats_removals())
		{
			RpCounters	delta = rp_stats_delta(1, calls, total_time, calls,
											   now);

			if (rp_stats_count(&key, q->gen, &delta, &q->pending_hint,
							   &q->ref))
			{
				rp_unit.pending = true;
				return q->gen;
			}
		}
		else if (rp_stats_record_repeat(&key, calls, total_time, now, NULL,
										&q->ref, &removals))
			return removals;
	}

	if (info == NULL)
		info = &local;
	info->proof = q->proven ?
		rp_describe_proof(&q->proof, rp_unit_keys_from_plan(queryDesc) ?
						  queryDesc->plannedstmt : NULL) : NULL;
	if (q->proven && OidIsValid(q->proof.relid))
	{
		source_relids = &q->proof.relid;
		nsource = 1;
	}
	else if (source != NULL)
	{
		source_relids = source->relids;
		nsource = source->nrelids;
	}

	info->queryid = queryDesc->plannedstmt->queryId;
	info->query = rp_normalize(text, len, maxlen);
	info->source_query = source ?
		rp_normalize(source->text, source->text_len, maxlen) : NULL;
	st.stmt = queryDesc->plannedstmt;
	st.text = text;
	st.len = len;
	rp_describe_repeat(&st, q->fingerprint, source,
					   q->proven ? &q->proof : NULL,
					   source_relids, nsource, &info->desc);

	(void) rp_stats_record_repeat(&key, calls, total_time, now, info,
								  &q->ref, &removals);
	q->described = sig;
	return removals;
}

/*
 * The statement that started a loop: walking back from the shape's first
 * run, the first statement that is not itself part of the loop (the body
 * of a loop can hold several statements, each run about as often).
 */
static RpUnitQuery *
rp_unit_source(RpUnitQuery *q)
{
	uint64		fingerprint = q->predecessor;
	int			steps;

	for (steps = 0; fingerprint != 0 && steps < RP_UNIT_SOURCE_STEPS; steps++)
	{
		RpUnitQuery *p = rpunit_lookup(rp_unit.queries, fingerprint);

		/* nor show one user the statement of another (SET ROLE mid-unit) */
		if (p == NULL || p->unit_id != rp_unit.id || p->runner != q->runner)
			return NULL;
		if (p->calls < 2 || p->calls < q->calls - 1)
			return p;
		fingerprint = p->predecessor;
	}
	return NULL;
}

void
rp_unit_notify(RpUnitQuery *q, const RpRepeatInfo *info)
{
	int			elevel;
	StringInfoData detail;

	switch (rp_on_detect)
	{
		case RP_ON_DETECT_LOG:
			elevel = LOG;
			break;
		case RP_ON_DETECT_NOTICE:
			elevel = NOTICE;
			break;
		case RP_ON_DETECT_WARNING:
			elevel = WARNING;
			break;
		case RP_ON_DETECT_ERROR:
			elevel = ERROR;
			break;
		default:
			return;
	}

	initStringInfo(&detail);
	appendStringInfo(&detail, "The repeated statement is \"%s\"", info->query);
	if (info->source_query != NULL)
		appendStringInfo(&detail, ", run after \"%s\"",
						 info->source_query);
	if (info->desc.relation[0] != '\0')
		appendStringInfo(&detail, "; it reads relation %s",
						 info->desc.relation);
	appendStringInfoChar(&detail, '.');

	/*
	 * 54000 (program_limit_exceeded): the unit went past a limit the user
	 * set, relprefetch.threshold; see README.md, "on_detect".
	 */
	ereport(elevel,
			(elevel == ERROR ? errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED) : 0,
			 errmsg("N+1 query pattern: the same statement ran "
					INT64_FORMAT " times in one unit of work", q->calls),
			 errdetail_internal("%s", detail.data),
			 errhint("%s", info->desc.suggestion)));
}
