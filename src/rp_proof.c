/*-------------------------------------------------------------------------
 *
 * rp_proof.c
 *	  Proof of a loop: where the key values of a repeated statement came
 *	  from.
 *
 * In "for post in posts: post.author", each author lookup's key is a
 * value of a row the posts query returned.  Back-to-back requests on a
 * pooled connection, pagination, polling and an ORM's introspection take
 * their values from the application instead.  So a repeat is proven to be
 * a loop when its executions' key values are found in the rows that one
 * earlier statement of the unit returned:
 *
 * Values.  Every value is reduced to a 64-bit hash that does not depend on
 * how it travelled: integers (int2, int4, int8, oid, and strings and
 * literals that spell an integer) hash as the integer, uuids as their 16
 * bytes (from a uuid or from its text form), other text as its bytes.
 * Other types are not looked at.
 *
 * Rows read (rp_proof_capture).  While relprefetch.require_proof is on,
 * each counted statement that returns rows (to the client, to a cursor's
 * FETCH, or to a PL/pgSQL function with track = all) has its rows passed
 * through a receiver that hashes the values of up to RP_PROOF_COLUMNS of
 * its columns of those types, for its first RP_PROOF_ROWS rows, with the
 * table and column each column comes from.  The store holds at most
 * RP_PROOF_CAPTURES statements and RP_PROOF_VALUES values per unit of
 * work: a unit that reads more is proven from what it read first.  The
 * store is emptied when the next unit starts.
 *
 * Keys (rp_proof_keys_*).  The first RP_PROOF_KEYS parameters of an
 * execution (the extended protocol's, EXECUTE's arguments), the values a
 * PL/pgSQL statement's plan compares with, or the first constants of its
 * text (the simple protocol); an IN list or an array of one value is that
 * value, and a statement with a list of several is a batch whose
 * executions have no keys (an ORM that splits a prefetch into a few IN
 * lists is fetching the rows, not looping).
 *
 * The proof (rp_proof_find).  For a key position p, a source statement S
 * (any other shape of the unit) and a column c of S's rows, walk the
 * repeat's executions in order.  Execution i matches when its key p is the
 * value of column c in a row of the latest execution of S before it; rows
 * of one execution of S are matched in the order they were read, each at
 * most once (a loop reads row after row).  The repeat is proven when at
 * least relprefetch.threshold executions match, with at least two distinct
 * values among them, and, when the matches came from several executions
 * of S (a nested loop, such as the country of each post's author), when
 * S is itself a proven loop: an outer statement that repeats because the
 * application asks (the "current user" of each request) proves nothing.
 * The best (p, S, c) is the one with the most matches; among equals, one
 * whose column is the repeat's key column or related to it by a foreign
 * key (the values are the keys by design, not by chance); then the one with
 * the fewest rows skipped between matches: the posts query over the
 * prefetch query whose rows hold the same post ids less densely, the
 * author lookup just before each country lookup over a sparse match in
 * the posts query.
 *
 * The near misses this leaves out: the same id looked up again and again
 * (one distinct value), values found in rows out of the order they were
 * read, values found only in rows of statements that ran after the loop
 * began, and dependent lookups whose outer statement is not a loop.
 *
 * Everything here is backend-local: no shared memory, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "rp_compat.h"
#include "rp_proof.h"
#include "rp_relationship.h"

/* Bounds of what is kept of the rows a unit read */
#define RP_PROOF_ROWS		256 /* rows of one statement */
#define RP_PROOF_CAPTURES	1024	/* statements of one unit */
#define RP_PROOF_VALUES		32768	/* values of one unit (256 kB) */

/* The rows one statement (or one FETCH of a cursor) returned */
typedef struct RpCapture
{
	uint64		fingerprint;
	uint64		seq;			/* the statement's execution in the unit */
	int			nrows;
	int			first;			/* its first value in rp_store.values */
	RpCaptureColumns cols;		/* the layout's, when it ran */
} RpCapture;

typedef struct RpProofStore
{
	uint64		unit_id;
	int			ncaptures;
	int			nvalues;
	RpCapture	captures[RP_PROOF_CAPTURES];
	uint64		values[RP_PROOF_VALUES];	/* row after row */
} RpProofStore;


bool		rp_require_proof = true;

static RpProofStore *rp_store = NULL;

/* ------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------
 */

/*
 * A 64-bit hash of bytes, eight at a time: the values hashed are short (a
 * key in text, a uuid), and every row a statement returns may have some.
 */
static inline uint64
rp_hash_bytes(const char *data, int len, uint64 seed)
{
	uint64		h = seed ^ ((uint64) len * UINT64CONST(0x9e3779b97f4a7c15));
	uint64		word;

	while (len >= 8)
	{
		memcpy(&word, data, 8);
		h = (h ^ word) * UINT64CONST(0xff51afd7ed558ccd);
		h ^= h >> 32;
		data += 8;
		len -= 8;
	}
	if (len > 0)
	{
		word = 0;
		memcpy(&word, data, len);
		h = (h ^ word) * UINT64CONST(0xff51afd7ed558ccd);
	}
	return rp_proof_hash_int((int64) h);
}

/* Does text spell an integer of int8's range?  Then *value is it */
static bool
rp_text_integer(const char *s, int len, int64 *value)
{
	int			i = 0;
	bool		negative = false;
	uint64		v = 0;

	if (len > 0 && s[0] == '-')
	{
		negative = true;
		i++;
	}
	if (i == len || len - i > 18)
		return false;
	for (; i < len; i++)
	{
		unsigned char digit = (unsigned char) (s[i] - '0');

		if (digit > 9)
			return false;
		v = v * 10 + digit;
	}
	*value = negative ? -(int64) v : (int64) v;
	return true;
}

static int
rp_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does text spell a uuid (8-4-4-4-12 hex digits)?  Then bytes is it */
static bool
rp_text_uuid(const char *s, int len, unsigned char *bytes)
{
	int			i;
	int			n = 0;

	if (len != 36)
		return false;
	for (i = 0; i < len; i += 2)
	{
		int			hi;
		int			lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
			i--;
			continue;
		}
		hi = rp_hex_digit(s[i]);
		lo = rp_hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0 || n >= UUID_LEN)
			return false;
		bytes[n++] = (unsigned char) (hi << 4 | lo);
	}
	return n == UUID_LEN;
}

/* The hash of a value given as text: an integer, a uuid, or bytes */
static uint64
rp_hash_text(const char *s, int len)
{
	int64		integer;
	unsigned char uuid[UUID_LEN];

	if (rp_text_integer(s, len, &integer))
		return rp_proof_hash_int(integer);
	if (rp_text_uuid(s, len, uuid))
		return rp_hash_bytes((const char *) uuid, UUID_LEN, UUIDOID);
	return rp_hash_bytes(s, len, 0);
}

/* The hash of a value of a kept type that is not an integer */
static pg_noinline uint64
rp_hash_datum_bytes(Oid typid, Datum value)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
			{
				text	   *t = DatumGetTextPP(value);

				return rp_hash_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
		case UUIDOID:
			return rp_hash_bytes((const char *) DatumGetUUIDP(value)->data,
								 UUID_LEN, UUIDOID);
		default:
			return 0;
	}
}

/* Is a kept type's hash that of an integer (rp_proof_hash_int)? */
static inline bool
rp_proof_int_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID ||
		typid == OIDOID;
}

/* The hash of a value of an integer type (rp_proof_int_type), not null */
static inline uint64
rp_hash_int_datum(Oid typid, Datum value)
{
	switch (typid)
	{
		case INT2OID:
			return rp_proof_hash_int(DatumGetInt16(value));
		case INT4OID:
			return rp_proof_hash_int(DatumGetInt32(value));
		case OIDOID:
			return rp_proof_hash_int(DatumGetObjectId(value));
		default:
			return rp_proof_hash_int(DatumGetInt64(value));
	}
}

/*
 * The hash of a value of a kept type; 0 for a null.  Inline: every row a
 * statement returns may have some, and most are integers.
 */
static inline uint64
rp_hash_datum(Oid typid, Datum value, bool isnull)
{
	if (isnull)
		return 0;
	if (rp_proof_int_type(typid))
		return rp_hash_int_datum(typid, value);
	return rp_hash_datum_bytes(typid, value);
}

/* ------------------------------------------------------------------------
 * Keys of an execution
 * ------------------------------------------------------------------------
 */

/* A parameter's key: its value, or the only element of an array */
static uint64
rp_param_hash(ParamExternData *param)
{
	Oid			elemtype;

	if (param->isnull)
		return 0;
	if (rp_proof_type_kept(param->ptype))
		return rp_hash_datum(param->ptype, param->value, false);
	elemtype = get_element_type(param->ptype);
	if (OidIsValid(elemtype) && rp_proof_type_kept(elemtype))
	{
		ArrayType  *array = DatumGetArrayTypeP(param->value);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		if (ARR_NDIM(array) != 1 || ArrayGetNItems(1, ARR_DIMS(array)) != 1)
			return 0;
		get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
		deconstruct_array(array, elemtype, typlen, typbyval, typalign,
						  &elems, &nulls, &n);
		return n == 1 ? rp_hash_datum(elemtype, elems[0], nulls[0]) : 0;
	}
	return 0;
}

/* The keys of an execution given parameters: its first ones */
void
rp_proof_keys_from_params(ParamListInfo params, RpExecKeys *keys)
{
	int			i;

	keys->nkeys = Min(params->numParams, RP_PROOF_KEYS);
	for (i = 0; i < keys->nkeys; i++)
	{
		ParamExternData *param = &params->params[i];

		keys->hash[i] = OidIsValid(param->ptype) ? rp_param_hash(param) : 0;
	}
}

/*
 * Keys collected from a plan; when want is a key position, also the column
 * the plan compares that key with (relid 0 when it is not a table's).
 */
typedef struct RpPlanKeys
{
	ParamListInfo params;
	RpExecKeys *keys;
	List	   *rtable;
	Plan	   *scan;			/* the plan node whose quals are walked */
	Var		   *compared;		/* the Var of the comparison walked, if any */
	int			want;			/* -1: no column wanted */
	Oid			relid;
	AttrNumber	attnum;
} RpPlanKeys;

/* The table column a Var of a scan's quals stands for, if it is one */
static void
rp_plan_key_column(RpPlanKeys *found, Var *var)
{
	RangeTblEntry *rte;

	/* an index-only scan's quals name the index's columns */
	if (var->varno == INDEX_VAR && found->scan != NULL &&
		IsA(found->scan, IndexOnlyScan))
	{
		List	   *indextlist = ((IndexOnlyScan *) found->scan)->indextlist;
		TargetEntry *te;

		if (var->varattno < 1 || var->varattno > list_length(indextlist))
			return;
		te = list_nth_node(TargetEntry, indextlist, var->varattno - 1);
		if (!IsA(te->expr, Var))
			return;
		var = (Var *) te->expr;
	}
	if (IS_SPECIAL_VARNO(var->varno) || var->varno < 1 ||
		var->varno > list_length(found->rtable) || var->varattno <= 0)
		return;
	rte = rt_fetch(var->varno, found->rtable);
	if (rte->rtekind != RTE_RELATION)
		return;
	found->relid = rte->relid;
	found->attnum = var->varattno;
}

static void
rp_plan_key_add(RpPlanKeys *found, uint64 hash)
{
	if (found->keys->nkeys >= RP_PROOF_KEYS)
		return;
	if (found->keys->nkeys == found->want && found->compared != NULL)
		rp_plan_key_column(found, found->compared);
	found->keys->hash[found->keys->nkeys++] = hash;
}

static bool
rp_plan_keys_walker(Node *node, RpPlanKeys *found)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN)
	{
		ParamListInfo params = found->params;
		int			id = ((Param *) node)->paramid;
		ParamExternData workspace;
		ParamExternData *param = NULL;

		if (params != NULL && id >= 1 && id <= params->numParams)
			param = params->paramFetch != NULL ?
				params->paramFetch(params, id, false, &workspace) :
				&params->params[id - 1];
		rp_plan_key_add(found, param != NULL && OidIsValid(param->ptype) ?
						rp_param_hash(param) : 0);
		return false;
	}
	if (IsA(node, Const))
	{
		Const	   *c = (Const *) node;

		if (rp_proof_type_kept(c->consttype))
			rp_plan_key_add(found, rp_hash_datum(c->consttype,
												 c->constvalue,
												 c->constisnull));
		return false;
	}
	if (found->want >= 0 && (IsA(node, OpExpr) || IsA(node, ScalarArrayOpExpr)))
	{
		/* a comparison: the values in it are compared with its column */
		List	   *args = IsA(node, OpExpr) ? ((OpExpr *) node)->args :
		((ScalarArrayOpExpr *) node)->args;
		Var		   *outer = found->compared;
		bool		done;

		if (list_length(args) == 2)
		{
			Node	   *left = strip_implicit_coercions(linitial(args));
			Node	   *right = strip_implicit_coercions(lsecond(args));

			found->compared = IsA(left, Var) ? (Var *) left :
				IsA(right, Var) ? (Var *) right : NULL;
		}
		done = expression_tree_walker(node, rp_plan_keys_walker, found);
		found->compared = outer;
		return done;
	}
	return expression_tree_walker(node, rp_plan_keys_walker, found);
}

/* The values a plan's scans and filters compare with, in plan order */
static void
rp_plan_keys(Plan *plan, RpPlanKeys *found)
{
	ListCell   *lc;

	if (plan == NULL)
		return;
	check_stack_depth();
	found->scan = plan;
	switch (nodeTag(plan))
	{
		case T_IndexScan:
			rp_plan_keys_walker((Node *) ((IndexScan *) plan)->indexqualorig,
								found);
			break;
		case T_IndexOnlyScan:
			rp_plan_keys_walker((Node *) ((IndexOnlyScan *) plan)->indexqual,
								found);
			break;
		case T_BitmapIndexScan:
			rp_plan_keys_walker((Node *) ((BitmapIndexScan *) plan)->indexqualorig,
								found);
			break;
		case T_Append:
			foreach(lc, ((Append *) plan)->appendplans)
				rp_plan_keys((Plan *) lfirst(lc), found);
			break;
		case T_SubqueryScan:
			rp_plan_keys(((SubqueryScan *) plan)->subplan, found);
			break;
		default:
			break;
	}
	found->scan = plan;
	rp_plan_keys_walker((Node *) plan->qual, found);
	rp_plan_keys(plan->lefttree, found);
	rp_plan_keys(plan->righttree, found);
}

/*
 * The keys of an execution of a statement run by PL/pgSQL: its parameters
 * are every variable of the function, and a custom plan has their values
 * folded in, so the keys are the values its plan compares with (the
 * parameters and constants of its scans and filters, in plan order).
 */
void
rp_proof_keys_from_plan(PlannedStmt *stmt, ParamListInfo params,
						RpExecKeys *keys)
{
	RpPlanKeys	found = {0};

	found.params = params;
	found.keys = keys;
	found.want = -1;
	keys->nkeys = 0;
	rp_plan_keys(stmt->planTree, &found);
}

/*
 * The table column a statement's plan compares its key at position with,
 * for the keys of rp_proof_keys_from_plan.  False when it is not a column
 * of a table the plan scans (a join's condition, an expression).
 */
bool
rp_proof_plan_key_column(PlannedStmt *stmt, int position, Oid *relid,
						 AttrNumber *attnum)
{
	RpExecKeys	keys;
	RpPlanKeys	found = {0};

	found.keys = &keys;
	found.rtable = stmt->rtable;
	found.want = position;
	keys.nkeys = 0;
	rp_plan_keys(stmt->planTree, &found);
	*relid = found.relid;
	*attnum = found.attnum;
	return OidIsValid(found.relid);
}

/*
 * Does the statement look up several keys at once, with an IN list or an
 * array of more than one value?  That is an ORM's batch (a prefetch split
 * into a few IN lists), the fix rather than the loop: its executions have
 * no keys, so they never prove a loop.
 */
bool
rp_proof_is_batch(const char *text, const RpConstSpan *spans, int nspans)
{
	int			i;

	for (i = 0; i < nspans; i++)
	{
		int			depth = 0;
		int			j;

		if (spans[i].kind != RP_CONST_LIST)
			continue;
		for (j = spans[i].start; j < spans[i].start + spans[i].len; j++)
		{
			char		c = text[j];

			if (c == '(' || c == '[')
				depth++;
			else if (c == ')' || c == ']')
				depth--;
			else if (c == ',' && depth == 1)
				return true;
			else if (c == '\'')
				break;			/* a string: leave it, seldom a batch */
		}
	}
	return false;
}

/* The key of a literal: a number, or a plain '...' string */
static uint64
rp_literal_hash(const char *s, int len)
{
	char		buf[NAMEDATALEN * 2];
	int			n = 0;
	int			i;

	if (len > 0 && s[0] != '\'')
		return rp_hash_text(s, len);
	if (len < 2 || s[len - 1] != '\'' || len - 2 > (int) sizeof(buf))
		return 0;
	for (i = 1; i < len - 1; i++)
	{
		buf[n++] = s[i];
		if (s[i] == '\'')
			i++;				/* '' is one quote */
	}
	/* an array of one value, '{5}' (= ANY('{5}')), is that value */
	if (n > 2 && buf[0] == '{' && buf[n - 1] == '}' &&
		memchr(buf, ',', n) == NULL)
		return rp_hash_text(buf + 1, n - 2);
	return rp_hash_text(buf, n);
}

/*
 * The key of a list of one value, "IN (5)" or "ARRAY[5]": that value; 0
 * for anything else (a list of several values is a batch, never a loop).
 */
static uint64
rp_list_hash(const char *s, int len)
{
	const char *open = memchr(s, '(', len);
	const char *bracket = memchr(s, '[', len);
	const char *start;
	const char *end = s + len - 1;

	if (open == NULL || (bracket != NULL && bracket < open))
		open = bracket;
	if (open == NULL || (*end != ')' && *end != ']'))
		return 0;
	start = open + 1;
	while (start < end && isspace((unsigned char) *start))
		start++;
	while (end > start && isspace((unsigned char) end[-1]))
		end--;
	if (start == end || memchr(start, ',', end - start) != NULL ||
		memchr(start, '(', end - start) != NULL)
		return 0;
	return rp_literal_hash(start, end - start);
}

void
rp_proof_keys_from_text(const char *text, const RpConstSpan *spans,
						int nspans, RpExecKeys *keys)
{
	int			i;

	keys->nkeys = Min(nspans, RP_PROOF_KEYS);
	for (i = 0; i < keys->nkeys; i++)
	{
		const char *s = text + spans[i].start;

		if (spans[i].is_number)
			keys->hash[i] = rp_proof_number_key(&spans[i]);
		else if (spans[i].kind == RP_CONST_LITERAL)
			keys->hash[i] = rp_literal_hash(s, spans[i].len);
		else if (spans[i].kind == RP_CONST_LIST)
			keys->hash[i] = rp_list_hash(s, spans[i].len);
		else
			keys->hash[i] = 0;
	}
}

/* ------------------------------------------------------------------------
 * Rows read
 * ------------------------------------------------------------------------
 */

/* The store, emptied when a new unit starts */
static RpProofStore *
rp_store_for(uint64 unit_id)
{
	if (rp_store == NULL)
	{
		/* its arrays are filled before they are read: no need to zero them */
		rp_store = MemoryContextAlloc(TopMemoryContext, sizeof(RpProofStore));
		rp_store->unit_id = 0;	/* no unit is numbered 0 */
	}
	if (rp_store->unit_id != unit_id)
	{
		rp_store->unit_id = unit_id;
		rp_store->ncaptures = 0;
		rp_store->nvalues = 0;
	}
	return rp_store;
}

/*
 * Keep one row's values, while the rows go on being kept one after the
 * other: a nested statement's rows in between (a function called by the
 * query) end the capture.  Then pass the row on.
 */
static pg_noinline bool
rp_capture_row(RpCaptureReceiver *r, TupleTableSlot *slot)
{
	RpCapture  *capture = r->capture;
	int			i;

	/* the store still this unit's, and no other capture's values since */
	if (rp_store->unit_id != r->unit_id || rp_store->nvalues != r->next_value)
		r->rows_left = 0;
	else
	{
		uint64	   *out = &rp_store->values[r->next_value];

		for (i = 0; i < capture->cols.ncolumns; i++)
		{
			bool		isnull;
			Datum		value = slot_getattr(slot, capture->cols.attnum[i],
											 &isnull);

			out[i] = rp_hash_datum(capture->cols.typid[i], value, isnull);
		}
		r->next_value += capture->cols.ncolumns;
		rp_store->nvalues = r->next_value;
		capture->nrows++;
		r->rows_left--;
	}
	return r->inner->receiveSlot(slot, r->inner);
}

/*
 * Past the rows kept, a row costs a test and the call it is passed on by:
 * both ways out are tail calls, so that this needs no frame of its own.
 */
static bool
rp_capture_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RpCaptureReceiver *r = (RpCaptureReceiver *) self;

	if (unlikely(r->rows_left > 0))
		return rp_capture_row(r, slot);
	return r->inner->receiveSlot(slot, r->inner);
}

static bool rp_capture_int_row(RpCaptureReceiver *r, TupleTableSlot *slot);

/* A row not deformed as far as its kept column: deformed, then kept */
static pg_noinline bool
rp_capture_int_deform(RpCaptureReceiver *r, TupleTableSlot *slot)
{
	slot_getsomeattrs(slot, r->attnum);
	return rp_capture_int_row(r, slot);
}

/*
 * The same, when the one column kept is an integer's (a list of ids, the
 * usual source of a loop): read from the deformed row with no loop, and
 * with no call but the next receiver's, so that its registers need no
 * saving.
 */
static pg_noinline bool
rp_capture_int_row(RpCaptureReceiver *r, TupleTableSlot *slot)
{
	RpProofStore *store = rp_store;
	int			i = r->attnum - 1;

	if (store->unit_id != r->unit_id || store->nvalues != r->next_value)
		r->rows_left = 0;
	else if (slot->tts_nvalid <= i)
		return rp_capture_int_deform(r, slot);
	else
	{
		store->values[r->next_value++] = slot->tts_isnull[i] ? 0 :
			rp_hash_int_datum(r->typid, slot->tts_values[i]);
		store->nvalues = r->next_value;
		r->capture->nrows++;
		r->rows_left--;
	}
	return r->inner->receiveSlot(slot, r->inner);
}

static bool
rp_capture_receive_int(TupleTableSlot *slot, DestReceiver *self)
{
	RpCaptureReceiver *r = (RpCaptureReceiver *) self;

	if (unlikely(r->rows_left > 0))
		return rp_capture_int_row(r, slot);
	return r->inner->receiveSlot(slot, r->inner);
}

static void
rp_capture_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	RpCaptureReceiver *r = (RpCaptureReceiver *) self;

	r->inner->rStartup(r->inner, operation, typeinfo);
}

static void
rp_capture_shutdown(DestReceiver *self)
{
	RpCaptureReceiver *r = (RpCaptureReceiver *) self;

	r->inner->rShutdown(r->inner);
}

static void
rp_capture_destroy(DestReceiver *self)
{
	/* the receiver is the caller's; the inner one is not ours */
}

/*
 * Have the rows of this run of queryDesc (a counted statement, execution
 * seq of shape fingerprint in unit unit_id) kept on their way to their
 * destination, through receiver r, until rp_proof_capture_done.  layout
 * is the shape's (rp_proof_layout is given it to bring up to date).
 * Called before ExecutorRun.  Returns false, and leaves the destination
 * alone, when none of the rows' columns is kept or the unit's store is
 * full.
 */
bool
rp_proof_capture(QueryDesc *queryDesc, RpCaptureReceiver *r,
				 RpCaptureLayout *layout, uint64 unit_id, uint64 fingerprint,
				 uint64 seq)
{
	RpProofStore *store;
	RpCapture  *capture;

	if (queryDesc->dest == NULL || queryDesc->dest->mydest == DestNone ||
		queryDesc->tupDesc == NULL || queryDesc->tupDesc->natts == 0)
		return false;
	layout = rp_proof_layout(layout, queryDesc->tupDesc,
							 queryDesc->plannedstmt);
	if (layout->cols.ncolumns == 0)
		return false;
	store = rp_store_for(unit_id);
	if (store->ncaptures >= RP_PROOF_CAPTURES ||
		store->nvalues >= RP_PROOF_VALUES)
		return false;

	capture = &store->captures[store->ncaptures++];
	capture->fingerprint = fingerprint;
	capture->seq = seq;
	capture->nrows = 0;
	capture->first = store->nvalues;
	capture->cols = layout->cols;

	r->pub.receiveSlot = rp_capture_receive;
	if (layout->cols.ncolumns == 1 && rp_proof_int_type(layout->cols.typid[0]))
	{
		r->pub.receiveSlot = rp_capture_receive_int;
		r->attnum = layout->cols.attnum[0];
		r->typid = layout->cols.typid[0];
	}
	r->pub.rStartup = rp_capture_startup;
	r->pub.rShutdown = rp_capture_shutdown;
	r->pub.rDestroy = rp_capture_destroy;
	r->pub.mydest = queryDesc->dest->mydest;
	r->inner = queryDesc->dest;
	r->capture = capture;
	r->unit_id = unit_id;
	r->next_value = store->nvalues;
	/* as many rows as there is room for, while no other capture adds any */
	r->rows_left = Min(RP_PROOF_ROWS, (RP_PROOF_VALUES - store->nvalues) /
					   layout->cols.ncolumns);
	queryDesc->dest = (DestReceiver *) r;
	return true;
}

/* After ExecutorRun: the rows go straight to their destination again */
void
rp_proof_capture_done(QueryDesc *queryDesc)
{
	DestReceiver *dest = queryDesc->dest;

	if (dest != NULL && (dest->receiveSlot == rp_capture_receive ||
						 dest->receiveSlot == rp_capture_receive_int))
		queryDesc->dest = ((RpCaptureReceiver *) dest)->inner;
}

/* ------------------------------------------------------------------------
 * The proof
 * ------------------------------------------------------------------------
 */

/* A match of key position p with column c of statement fingerprint */
typedef struct RpCandidate
{
	uint64		fingerprint;
	int			column;
	int			position;
} RpCandidate;

/*
 * The execution of the source whose rows execution seq may have read:
 * the latest before it.  Returns its seq (0 if none) and the range of
 * captures it has (a cursor's FETCHes make several, in order).
 */
static uint64
rp_source_before(RpProofStore *store, uint64 fingerprint, uint64 seq,
				 int *from, int *to)
{
	uint64		best = 0;
	int			i;

	*from = *to = -1;
	for (i = 0; i < store->ncaptures; i++)
	{
		RpCapture  *c = &store->captures[i];

		if (c->fingerprint != fingerprint || c->seq >= seq || c->seq < best)
			continue;
		if (c->seq > best)
		{
			best = c->seq;
			*from = i;
		}
		*to = i;
	}
	return best;
}

/* Row number at or after row (counted across the captures from..to) */
static int
rp_find_row(RpProofStore *store, int from, int to, int column, uint64 hash,
			int row)
{
	int			base = 0;
	int			i;

	for (i = from; i <= to; i++)
	{
		RpCapture  *c = &store->captures[i];
		int			r;

		if (c->fingerprint != store->captures[from].fingerprint ||
			c->seq != store->captures[from].seq)
			continue;
		for (r = Max(row - base, 0); r < c->nrows; r++)
		{
			if (store->values[c->first + r * c->cols.ncolumns + column] == hash)
				return base + r;
		}
		base += c->nrows;
	}
	return -1;
}

/* How many executions of the repeat match the candidate; see the top */
static int
rp_count_matches(RpProofStore *store, const RpCandidate *cand,
				 const RpExecKeys *execs, int nexecs, bool *nested,
				 int *distinct, int *skipped)
{
	uint64		current = 0;
	int			row = 0;
	int			matched = 0;
	int			sources = 0;
	uint64		seen[2] = {0, 0};
	int			i;

	*distinct = 0;
	*skipped = 0;
	for (i = 0; i < nexecs; i++)
	{
		uint64		hash;
		int			from;
		int			to;
		uint64		source;
		int			found;

		if (cand->position >= execs[i].nkeys ||
			(hash = execs[i].hash[cand->position]) == 0)
			continue;
		source = rp_source_before(store, cand->fingerprint, execs[i].seq,
								  &from, &to);
		if (source == 0)
			continue;
		if (source != current)
		{
			current = source;
			row = 0;
		}
		found = rp_find_row(store, from, to, cand->column, hash, row);
		if (found < 0)
			continue;
		if (matched == 0 || source != seen[1])
			sources++;
		seen[1] = source;
		*skipped += found - row;
		row = found + 1;
		matched++;
		if (*distinct < 2 && hash != seen[0])
		{
			(*distinct)++;
			seen[0] = hash;
		}
	}
	*nested = sources > 1;
	return matched;
}

/*
 * Is the repeat of shape fingerprint, whose executions in the unit are
 * execs (in order), a loop over rows the unit read?  Fills proof with the
 * best source when it is.
 */
bool
rp_proof_find(uint64 unit_id, uint64 fingerprint, const RpExecKeys *execs,
			  int nexecs, int threshold, RpProvenCheck is_proven,
			  RpColumnFits fits, void *fits_arg, RpProof *proof)
{
	RpProofStore *store;
	int			i;
	int			best = 0;
	bool		best_fit = false;
	int			best_skipped = 0;
	int			npositions = 0;

	if (rp_store == NULL || rp_store->unit_id != unit_id || nexecs == 0)
		return false;
	store = rp_store;
	for (i = 0; i < nexecs; i++)
		npositions = Max(npositions, execs[i].nkeys);

	for (i = 0; i < store->ncaptures; i++)
	{
		RpCapture  *c = &store->captures[i];
		RpCandidate cand;
		int			j;

		/* each source once, at its first capture; never the loop itself */
		if (c->fingerprint == fingerprint || c->seq >= execs[nexecs - 1].seq)
			continue;
		for (j = 0; j < i; j++)
		{
			if (store->captures[j].fingerprint == c->fingerprint)
				break;
		}
		if (j < i)
			continue;

		cand.fingerprint = c->fingerprint;
		for (cand.position = 0; cand.position < npositions; cand.position++)
		{
			for (cand.column = 0; cand.column < c->cols.ncolumns; cand.column++)
			{
				bool		nested;
				int			distinct;
				int			skipped;
				int			matched = rp_count_matches(store, &cand, execs,
													   nexecs, &nested,
													   &distinct, &skipped);

				bool		fit;

				if (matched < threshold || matched < best || distinct < 2)
					continue;
				fit = fits(c->cols.origin_rel[cand.column],
						   c->cols.origin_col[cand.column], fits_arg);
				/* among equals, the later source: it is later captures */
				if (matched == best &&
					(best_fit > fit ||
					 (best_fit == fit && skipped > best_skipped)))
					continue;
				if (nested && !is_proven(c->fingerprint))
					continue;
				best = matched;
				best_fit = fit;
				best_skipped = skipped;
				proof->source = c->fingerprint;
				proof->position = cand.position;
				proof->matched = matched;
				proof->executions = nexecs;
				proof->relid = c->cols.origin_rel[cand.column];
				proof->attnum = c->cols.origin_col[cand.column];
				proof->nested = nested;
			}
		}
	}
	return best > 0;
}

/* ------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------
 */

void
rp_proof_init(void)
{
	rp_proof_columns_init();
	DefineCustomBoolVariable("relprefetch.require_proof",
							 "Records a repeat only when its key values came from rows the unit of work read.",
							 "Off records every repeated query shape, as before version 0.3.0.",
							 &rp_require_proof,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}
