/*-------------------------------------------------------------------------
 *
 * rp_describe.c
 *	  Describing a detected loop: which relationship it follows, and the
 *	  call that would replace it.
 *
 * A repeated statement is described in three steps:
 *	1. From its plan, collect the "key lookups": columns of a scanned
 *	   relation compared for equality with a constant or a parameter (the
 *	   values that change from one execution of the loop to the next).
 *	   Join conditions compare with other columns and do not count.  When
 *	   the plan hides its scans (one Custom Scan: Citus runs the statement
 *	   on other nodes), the lookups come from the statement's text instead,
 *	   parsed again (raw_parser only, names only looked up, so nothing can
 *	   fail), its columns followed through views, subqueries and CTEs to
 *	   the tables the plan reads.  This step is rp_describe_plan.c's and
 *	   rp_describe_text.c's.
 *	2. Ask the relationship model which relationship a lookup by those
 *	   columns follows (rp_relation_for_lookup).
 *	3. Word it: what the loop does, through which foreign key, and the
 *	   fetch_json or fetch_children call (and the Django spelling) that
 *	   fetches the same rows in one statement; for a proven loop, only
 *	   the parent rows its source query read (rp_describe_source.c).  The
 *	   call's place in the advice is kept, for the suggested_call column.
 * A proven loop's proof is worded here too, for the proof column
 * (rp_describe_proof).
 *
 * Catalog rows are read directly (no SPI), so nothing here is executed as a
 * query or counted by the executor hooks.  Everything allocated lives in a
 * memory context deleted before returning.  This runs only when a repeat
 * is detected, never on the common path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "common/hashfn.h"
#include "catalog/pg_constraint.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "rewrite/rewriteManip.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "storage/lmgr.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "rp_citus.h"
#include "rp_compat.h"
#include "rp_describe.h"
#include "rp_describe_internal.h"
#include "rp_relationship.h"

/*
 * Descriptions already made, so that a loop detected again in every unit
 * of work (every transaction of a request, say) is not described from the
 * catalogs each time: a small direct-mapped cache per backend, keyed by the
 * repeated shape, the shape before the loop and the first relation the
 * plan reads (the same text can mean another table under another
 * search_path), and emptied by any change to relations or constraints
 * (rp_relation_generation).
 */
#define RP_DESCRIPTION_SLOTS	64

/* Multiplier of Fibonacci hashing: spreads the source's fingerprint */
#define RP_GOLDEN_RATIO_64		UINT64CONST(0x9e3779b97f4a7c15)

typedef struct RpDescription
{
	uint64		generation;		/* rp_relation_generation + 1; 0: empty */
	uint64		fingerprint;
	uint64		source_fingerprint;
	uint64		scope_key;		/* what the parent rows' scope came from */
	Oid			first_relid;
	RpRepeatDesc desc;
} RpDescription;

/* What a proven loop's source says of the parent rows (text NULL: none) */
typedef struct RpScopeInput
{
	const char *text;			/* the source's kept text */
	bool		cut_short;		/* it may have been cut at the kept size */
	bool		current;		/* its constants are this unit's */
	bool		nested;			/* the source is itself a loop */
	Oid			relid;			/* the table of the source's key column */
} RpScopeInput;

static RpDescription *rp_descriptions = NULL;

static bool rp_describe_from_catalogs(const RpStatement *st,
									  const Oid *source_relids, int nsource,
									  const RpScopeInput *scope_in,
									  RpRepeatDesc *desc);
static void rp_set_relation(RpRepeatDesc *desc, Oid relid);
static bool rp_word_relationship(const RpRelationship *r,
								 PlannedStmt *stmt, RpPlanFacts *facts,
								 const RpScopeInput *scope_in,
								 RpRepeatDesc *desc);
static void rp_word_write(PlannedStmt *stmt, Oid source, RpRepeatDesc *desc);

static Oid
rp_first_relid(PlannedStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind == RTE_RELATION)
			return rte->relid;
	}
	return InvalidOid;
}

static RpDescription *
rp_description_slot(uint64 fingerprint, uint64 source_fingerprint)
{
	uint64		h = fingerprint ^ (source_fingerprint * RP_GOLDEN_RATIO_64);

	if (rp_descriptions == NULL)
		rp_descriptions = MemoryContextAllocZero(TopMemoryContext,
												 sizeof(RpDescription) *
												 RP_DESCRIPTION_SLOTS);
	return &rp_descriptions[(h ^ (h >> 32)) % RP_DESCRIPTION_SLOTS];
}

void
rp_describe_repeat(const RpStatement *st, uint64 fingerprint,
				   RpUnitQuery *source, const RpProof *proof,
				   const Oid *source_relids, int nsource, RpRepeatDesc *desc)
{
	uint64		source_fingerprint = source ? source->fingerprint : 0;
	RpDescription *cached = rp_description_slot(fingerprint,
												source_fingerprint);
	Oid			first_relid = rp_first_relid(st->stmt);
	RpScopeInput scope_in;
	uint64		scope_key = 0;

	/*
	 * A proven loop's parent rows are its source's: the kept text of the
	 * source and whether its constants are this unit's tell which, so they
	 * are part of what the description is cached under.
	 */
	memset(&scope_in, 0, sizeof(scope_in));
	if (proof != NULL && source != NULL && source->text != NULL)
	{
		scope_in.text = source->text;
		scope_in.cut_short =
			source->text_len >= pgstat_track_activity_query_size - 1;
		scope_in.nested = proof->nested;
		scope_in.relid = proof->relid;
		scope_in.current = !scope_in.nested && !scope_in.cut_short &&
			rp_source_constants_current(source);
		scope_key = hash_bytes_extended((const unsigned char *) source->text,
										source->text_len, 0);
		scope_key = (scope_key << 3) | (scope_in.current ? 4 : 0) |
			(scope_in.nested ? 2 : 0) | 1;
		scope_key ^= (uint64) proof->relid * RP_GOLDEN_RATIO_64;
	}

	if (cached->generation == rp_relation_generation + 1 &&
		cached->fingerprint == fingerprint &&
		cached->source_fingerprint == source_fingerprint &&
		cached->scope_key == scope_key &&
		cached->first_relid == first_relid)
	{
		*desc = cached->desc;
		return;
	}
	if (!rp_describe_from_catalogs(st, source_relids, nsource, &scope_in,
								   desc))
		return;					/* the catalogs were busy: not for keeping */
	cached->generation = rp_relation_generation + 1;
	cached->fingerprint = fingerprint;
	cached->source_fingerprint = source_fingerprint;
	cached->scope_key = scope_key;
	cached->first_relid = first_relid;
	cached->desc = *desc;
}

/*
 * Describe a repeat from its plan and the catalogs (the cache missed).
 * Returns false when pg_constraint was locked and the foreign keys could
 * not be read.
 */
static bool
rp_describe_from_catalogs(const RpStatement *st, const Oid *source_relids,
						  int nsource, const RpScopeInput *scope_in,
						  RpRepeatDesc *desc)
{
	PlannedStmt *stmt = st->stmt;
	MemoryContext cxt;
	MemoryContext oldcxt;
	RpPlanFacts facts = {NIL, NIL, false, false};
	List	   *lookups;
	ListCell   *lc;
	bool		described = false;
	bool		complete = true;

	memset(desc, 0, sizeof(RpRepeatDesc));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "relprefetch describe",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);

	/* a write per row read: the set-based statement, whatever it looks up */
	if (stmt->commandType == CMD_INSERT || stmt->commandType == CMD_UPDATE ||
		stmt->commandType == CMD_DELETE)
	{
		rp_word_write(stmt, nsource > 0 ? source_relids[0] : InvalidOid,
					  desc);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(cxt);
		return true;
	}

	rp_collect(st, true, &facts);
	lookups = facts.lookups;

	/*
	 * The client's statement must never wait for us: if someone holds a
	 * conflicting lock on pg_constraint, go without the foreign keys.
	 */
	if (lookups != NIL)
		complete = ConditionalLockRelationOid(ConstraintRelationId,
											  AccessShareLock);
	if (lookups != NIL && complete)
	{
		foreach(lc, lookups)
		{
			RpKeyLookup *lookup = (RpKeyLookup *) lfirst(lc);
			RpRelationship *r = rp_relation_for_lookup(lookup->relid,
													   lookup->attnos,
													   source_relids,
													   nsource);

			if (r != NULL &&
				rp_word_relationship(r, stmt, &facts, scope_in, desc))
			{
				described = true;
				break;
			}
		}
		UnlockRelationOid(ConstraintRelationId, AccessShareLock);
	}

	if (!described)
	{
		/* no foreign key explains it: name the relation read, if any */
		rp_set_relation(desc, lookups != NIL ?
						((RpKeyLookup *) linitial(lookups))->relid :
						rp_first_relid(stmt));
		snprintf(desc->suggestion, sizeof(desc->suggestion),
				 "This statement runs once per row of an earlier result, "
				 "changing only its constants: fetch all the rows in one "
				 "statement (WHERE key = ANY($1)), or join them to the "
				 "earlier query.");
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return complete;
}



static void
rp_set_relation(RpRepeatDesc *desc, Oid relid)
{
	char	   *name;
	AttrNumber	none = InvalidAttrNumber;

	relid = rp_declared_table(relid, &none);
	if (!OidIsValid(relid) ||
		(name = rp_relation_qualified_name(relid)) == NULL)
		return;
	desc->relid = relid;
	strlcpy(desc->relation, name, sizeof(desc->relation));
}

/* Does a qual hold what a filter of its own table cannot say? */
static bool
rp_not_expressible_walker(Node *node, void *context)
{
	Index		scanrelid = *(Index *) context;

	if (node == NULL)
		return false;
	if (IsA(node, Param) || IsA(node, SubPlan) ||
		IsA(node, AlternativeSubPlan))
		return true;
	if (IsA(node, Var) &&
		(((Var *) node)->varno != scanrelid ||
		 ((Var *) node)->varlevelsup != 0))
		return true;
	return expression_tree_walker(node, rp_not_expressible_walker, context);
}

/*
 * The repeated statement's other conditions on the rows it reads through
 * r (its filter, beyond the key the loop varies), as SQL for a fetch's
 * where: "approved" for Django's Prefetch(queryset=...filter(approved=True)).
 * NULL when there are none; *unexpressed is set when some cannot be
 * written as a filter of that table alone (parameters, subqueries, other
 * tables).  Junction tables are left alone.
 */
static char *
rp_loop_conditions(const RpRelationship *r, PlannedStmt *stmt, List *scans,
				   bool *unexpressed)
{
	RpScanQuals *scan = NULL;
	StringInfoData buf;
	List	   *context;
	ListCell   *lc;

	*unexpressed = false;
	if (r->junction)
		return NULL;
	foreach(lc, scans)
	{
		RpScanQuals *sq = (RpScanQuals *) lfirst(lc);

		if (sq->relid != r->keyed_rel)
			continue;
		if (scan != NULL)
			return NULL;		/* read twice: which is the loop's? */
		scan = sq;
	}
	if (scan == NULL)
		return NULL;

	initStringInfo(&buf);
	context = deparse_context_for(get_rel_name(scan->relid), scan->relid);
	foreach(lc, scan->quals)
	{
		Node	   *qual = (Node *) lfirst(lc);
		Oid			relid;
		AttrNumber	attno;
		int			i;
		bool		key = false;

		if (rp_qual_key(qual, stmt, NULL, &relid, &attno) &&
			relid == r->keyed_rel)
		{
			for (i = 0; i < r->nkeys; i++)
				key |= r->keyed_cols[i] == attno;
		}
		if (key)
			continue;
		if (rp_not_expressible_walker(qual, &scan->scanrelid))
		{
			*unexpressed = true;
			continue;
		}
		qual = copyObject(qual);
		ChangeVarNodes(qual, scan->scanrelid, 1, 0);
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? " AND " : "",
						 deparse_expression(qual, context, false, false));
	}
	return buf.len > 0 ? buf.data : NULL;
}

/* Add "key": "value" (a JSON string) to a spec being written */
static void
rp_spec_string(StringInfo spec, const char *key, const char *value)
{
	if (value == NULL)
		return;
	if (spec->len > 1)
		appendStringInfoString(spec, ", ");
	escape_json(spec, key);
	appendStringInfoString(spec, ": ");
	escape_json(spec, value);
}

static void
rp_spec_count(StringInfo spec, const char *key, int64 value)
{
	if (value < 0)
		return;
	if (spec->len > 1)
		appendStringInfoString(spec, ", ");
	escape_json(spec, key);
	appendStringInfo(spec, ": " INT64_FORMAT, value);
}

/*
 * The fetch_json call that replaces a loop: relprefetch.fetch_json('parent',
 * '{"include": ["name"]}'), with the shortest name that means only the
 * relationship (and "via" if a to-many one needs it), the loop's other
 * conditions as the include's where, and the parent rows' scope (the
 * source query's where, order_by, limit and offset).
 */
static char *
rp_fetch_json_call(const RpRelationship *r, const char *where,
				   const RpSourceScope *scope)
{
	StringInfoData spec;
	const char *via = NULL;

	if (!r->to_one && rp_relation_needs_via(r))
		via = r->junction ? r->target_fk->name : r->fk->name;
	initStringInfo(&spec);
	appendStringInfoChar(&spec, '{');
	rp_spec_string(&spec, "where", scope->where);
	rp_spec_string(&spec, "order_by", scope->order_by);
	rp_spec_count(&spec, "limit", scope->limit);
	rp_spec_count(&spec, "offset", scope->offset);
	if (spec.len > 1)
		appendStringInfoString(&spec, ", ");
	if (where == NULL && via == NULL)
	{
		appendStringInfoString(&spec, "\"include\": [");
		escape_json(&spec, rp_relation_short_name(r));
		appendStringInfoString(&spec, "]}");
	}
	else
	{
		StringInfoData sub;

		initStringInfo(&sub);
		appendStringInfoChar(&sub, '{');
		rp_spec_string(&sub, "via", via);
		rp_spec_string(&sub, "where", where);
		appendStringInfoString(&spec, "\"include\": {");
		escape_json(&spec, rp_relation_short_name(r));
		appendStringInfo(&spec, ": %s}}}", sub.data);
	}
	return psprintf("SELECT relprefetch.fetch_json(%s, %s)",
					quote_literal_cstr(rp_relation_qualified_name(r->source)),
					quote_literal_cstr(spec.data));
}

/*
 * The call that replaces a loop over a to-many relationship:
 * relprefetch.fetch_children(NULL::parent, NULL::child[]), with "via" when
 * other foreign keys relate the same two tables, the loop's other
 * conditions as child_where, the source's conditions as parent_where and
 * its order as the outer ORDER BY.  A source with a limit or an offset is
 * fetched with fetch_json, which takes them before it reads the children.
 */
static char *
rp_fetch_children_call(const RpRelationship *r, const char *where,
					   const RpSourceScope *scope)
{
	const char *via = r->junction ? r->target_fk->name : r->fk->name;

	if (scope->limit >= 0 || scope->offset >= 0)
		return rp_fetch_json_call(r, where, scope);
	return psprintf("SELECT * FROM relprefetch.fetch_children(NULL::%s, NULL::%s[]%s%s%s)%s%s",
					rp_relation_qualified_name(r->source),
					rp_relation_qualified_name(r->target),
					rp_relation_needs_via(r) ?
					psprintf(", via => %s", quote_literal_cstr(via)) : "",
					scope->where ?
					psprintf(", parent_where => %s",
							 quote_literal_cstr(scope->where)) : "",
					where ?
					psprintf(", child_where => %s",
							 quote_literal_cstr(where)) : "",
					scope->parent_order_by ? " ORDER BY " : "",
					scope->parent_order_by ? scope->parent_order_by : "");
}

/*
 * The Django spelling of a to-one relationship: select_related() of the
 * field.  Django's foreign keys have a single column; for composite ones
 * say nothing.
 */
static char *
rp_django_select_related(const RpRelationship *r)
{
	char	   *field = r->own_key ? rp_relation_field_name(r->fk) : NULL;

	/* a reverse one-to-one's name in Django is its related_name: unknown */
	if (field == NULL)
		return "";
	return psprintf(" (in Django: select_related(\"%s\"))", field);
}

/* "public.blog_post(author_id) -> public.blog_author(id)" */
static char *
rp_fk_columns(const RpConstraint *fk)
{
	return psprintf("%s(%s) -> %s(%s)",
					rp_relation_qualified_name(fk->conrelid),
					rp_relation_column_list(fk->conrelid, fk->conkey,
											fk->nkeys),
					rp_relation_qualified_name(fk->confrelid),
					rp_relation_column_list(fk->confrelid, fk->confkey,
											fk->nkeys));
}

/*
 * The parent rows a proven loop read: those of its source query, as far
 * as the call can say (rp_describe_source.c).
 */
static void
rp_loop_scope(const RpRelationship *r, const RpScopeInput *in,
			  RpSourceScope *scope)
{
	memset(scope, 0, sizeof(RpSourceScope));
	scope->limit = -1;
	scope->offset = -1;
	if (in == NULL || in->text == NULL)
		return;
	if (in->nested)
		scope->unexpressed = "The parent rows are those the source query "
			"read, itself a loop: fix that loop first, and fetch these "
			"rows in the same call.";
	else if (OidIsValid(in->relid) &&
			 !rp_relation_same_table(in->relid, r->source))
		scope->unexpressed = psprintf("The parent rows are those of the "
									  "source query, which took them from "
									  "%s: restrict the call to them by "
									  "hand.",
									  rp_relation_qualified_name(in->relid));
	else
		rp_source_scope(in->text, in->cut_short, in->current, r->source,
						scope);
}

/*
 * The advice for a loop over r into buf, and where its call is in it.
 */
static void
rp_word_advice(const RpRelationship *r, const char *where,
			   const RpSourceScope *scope, StringInfo buf, int *call_start,
			   int *call_len)
{
	char	   *parent = rp_relation_qualified_name(r->source);
	char	   *target = rp_relation_qualified_name(r->target);
	char	   *fkname = (char *) quote_identifier(r->fk->name);
	const char *prefetch = "prefetch_related()";
	char	   *call;
	const char *which;

	if (where != NULL)
		prefetch = "prefetch_related() with a Prefetch() whose queryset "
			"filters the same way";
	which = scope->where || scope->limit >= 0 || scope->offset >= 0 ?
		"the source query's" : "all";
	resetStringInfo(buf);
	if (r->to_one)
	{
		call = rp_fetch_json_call(r, where, scope);
		appendStringInfo(buf,
						 "Each %s row looks up its %s row through foreign "
						 "key %s (%s), one statement per row: fetch both in "
						 "one call with ",
						 parent, target, fkname, rp_fk_columns(r->fk));
		*call_start = buf->len;
		appendStringInfo(buf, "%s%s.", call, rp_django_select_related(r));
	}
	else
	{
		call = rp_fetch_children_call(r, where, scope);
		if (r->junction)
			appendStringInfo(buf,
							 "The %s rows of each %s row are read through "
							 "junction table %s (foreign keys %s and %s), one "
							 "statement per %s row: fetch them for %s %s rows "
							 "in one call with ",
							 target, parent,
							 rp_relation_qualified_name(r->keyed_rel), fkname,
							 quote_identifier(r->target_fk->name), parent,
							 which, parent);
		else
			appendStringInfo(buf,
							 "The %s rows of each %s row are read through "
							 "foreign key %s (%s), one statement per %s row: "
							 "fetch the children of %s %s rows in one call "
							 "with ",
							 target, parent, fkname, rp_fk_columns(r->fk),
							 parent, which, parent);
		*call_start = buf->len;
		appendStringInfo(buf, "%s (in Django: %s).", call, prefetch);
	}
	*call_len = strlen(call);
	if (scope->unexpressed)
		appendStringInfo(buf, " %s", scope->unexpressed);
}

/*
 * Fill desc from the relationship a loop follows; false if its tables are
 * gone (detection locks none of them).
 */
static bool
rp_word_relationship(const RpRelationship *r, PlannedStmt *stmt,
					 RpPlanFacts *facts, const RpScopeInput *scope_in,
					 RpRepeatDesc *desc)
{
	bool		unexpressed;
	char	   *where = rp_loop_conditions(r, stmt, facts->scans,
										   &unexpressed);
	RpSourceScope scope;
	StringInfoData buf;
	int			call_start;
	int			call_len;

	if (rp_relation_qualified_name(r->source) == NULL ||
		rp_relation_qualified_name(r->target) == NULL)
		return false;
	rp_loop_scope(r, scope_in, &scope);
	initStringInfo(&buf);
	rp_word_advice(r, where, &scope, &buf, &call_start, &call_len);

	/* too long for the shared entry with the source's scope: go without */
	if (call_start + call_len >= RP_SUGGESTION_LEN &&
		(scope.where || scope.order_by))
	{
		rp_loop_scope(r, NULL, &scope);
		scope.unexpressed = "The parent rows are those of the source query, "
			"whose conditions are too long to write here: add them by hand.";
		rp_word_advice(r, where, &scope, &buf, &call_start, &call_len);
	}

	rp_set_relation(desc, r->target);
	strlcpy(desc->foreign_key, r->fk->name, sizeof(desc->foreign_key));
	strlcpy(desc->suggestion, buf.data, sizeof(desc->suggestion));
	if (unexpressed || (facts->other_conds && !r->junction))
		strlcat(desc->suggestion,
				" Some of the loop's conditions could not be written as a "
				"filter of that table: add them to the call by hand.",
				sizeof(desc->suggestion));
	if (call_start + call_len < RP_SUGGESTION_LEN)
	{
		desc->call_start = call_start;
		desc->call_len = call_len;
	}
	return true;
}

/*
 * Fill desc for a write loop: an INSERT, UPDATE or DELETE run once per row
 * of an earlier result (of source, a table it read, when known), and the
 * one statement that does the same for all the rows.
 */
static void
rp_word_write(PlannedStmt *stmt, Oid source, RpRepeatDesc *desc)
{
	Index		rti = rp_first_result_relation(stmt);
	char	   *target;
	char	   *from;
	const char *action;
	const char *verb;
	char		example[sizeof(desc->suggestion)];

	if (rti == 0 || rti > list_length(stmt->rtable))
		return;
	rp_set_relation(desc, rt_fetch(rti, stmt->rtable)->relid);
	target = desc->relation[0] ? desc->relation : "the table";
	from = OidIsValid(source) ? rp_relation_qualified_name(source) : NULL;
	if (from == NULL)
		from = "the earlier query's tables";

	switch (stmt->commandType)
	{
		case CMD_INSERT:
			action = "inserts into";
			verb = "insert";
			snprintf(example, sizeof(example),
					 "INSERT INTO %s (...) SELECT ... FROM %s WHERE ...",
					 target, from);
			break;
		case CMD_UPDATE:
			action = "updates";
			verb = "update";
			snprintf(example, sizeof(example),
					 "UPDATE %s SET ... FROM %s WHERE ...", target, from);
			break;
		default:
			action = "deletes from";
			verb = "delete";
			snprintf(example, sizeof(example),
					 "DELETE FROM %s USING %s WHERE ...", target, from);
			break;
	}
	snprintf(desc->suggestion, sizeof(desc->suggestion),
			 "This statement %s %s once per row of an earlier result: %s "
			 "all the rows in one statement (%s)",
			 action, target, verb, example);
	strlcat(desc->suggestion, ".", sizeof(desc->suggestion));
}

/*
 * Does column attnum of relid relate (as itself, or by a foreign key) to a
 * column that the statement compares with a value that varies from one
 * execution to the next?  For the proof of a loop, to prefer a source
 * column whose values are the statement's keys by design.  False when
 * pg_constraint cannot be read without waiting.
 */
bool
rp_describe_key_relates(const RpStatement *st, Oid relid, AttrNumber attnum)
{
	RpPlanFacts facts = {NIL, NIL, false, false};
	MemoryContext cxt;
	MemoryContext oldcxt;
	ListCell   *lc;
	bool		related = false;

	if (!OidIsValid(relid) || attnum <= 0)
		return false;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "relprefetch describe",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	rp_collect(st, false, &facts);
	if (facts.lookups != NIL &&
		ConditionalLockRelationOid(ConstraintRelationId, AccessShareLock))
	{
		foreach(lc, facts.lookups)
		{
			RpKeyLookup *lookup = (RpKeyLookup *) lfirst(lc);
			int			attno = -1;

			while (!related &&
				   (attno = bms_next_member(lookup->attnos, attno)) >= 0)
				related = rp_relation_columns_related(lookup->relid, attno,
													  relid, attnum);
		}
		UnlockRelationOid(ConstraintRelationId, AccessShareLock);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return related;
}

/* "public.author.id", or NULL when the column is gone */
static char *
rp_describe_column_name(Oid relid, AttrNumber attnum)
{
	char	   *relname = rp_relation_qualified_name(relid);
	char	   *attname;

	if (relname == NULL ||
		(attname = get_attname(relid, attnum, true)) == NULL)
		return NULL;
	return psprintf("%s.%s", relname, quote_identifier(attname));
}

/*
 * "20 of 20 values of $1 came from public.blog_post.author_id in the
 * source query": the first executions looked at, the key, and the column.
 * The key is named by its place among the statement's parameters or
 * constants ($1, as in the normalized query), or, when plan_keys is the
 * plan the keys were taken from (a statement of PL/pgSQL, whose parameters
 * are the function's variables), by the column the plan compares it with.
 */
char *
rp_describe_proof(const RpProof *proof, PlannedStmt *plan_keys)
{
	char	   *source = NULL;
	char	   *key;
	Oid			relid;
	AttrNumber	attnum;

	if (OidIsValid(proof->relid))
		source = rp_describe_column_name(proof->relid, proof->attnum);
	if (plan_keys == NULL)
		key = psprintf("values of $%d", proof->position + 1);
	else if (rp_proof_plan_key_column(plan_keys, proof->position,
									  &relid, &attnum) &&
			 (key = rp_describe_column_name(relid, attnum)) != NULL)
		key = psprintf("values compared with %s", key);
	else
		key = psprintf("values of key %d of its plan", proof->position + 1);

	return psprintf("%d of %d %s came from %s in the %s",
					proof->matched, proof->executions, key,
					source ? source : "a column",
					proof->nested ? "rows of each execution of the source" :
					"source query");
}
