/*-------------------------------------------------------------------------
 *
 * rp_json.c
 *	  JSON output of column values, the same as to_json() gives.
 *
 * The type dispatch follows the rules to_json() documents: booleans and
 * numbers are written bare (numbers that are not valid JSON, NaN and
 * Infinity, as strings), date and time types in ISO 8601 as strings, json
 * and jsonb as their text, anything else as its output text in a JSON
 * string; domains are rendered as their base type.  Arrays, composites
 * and types with a cast to json are handed to to_json() itself.
 * The regression test json_output compares the two on every kind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "rp_compat.h"
#include "rp_json.h"

/* Bytes that a JSON string must escape: the controls, '"' and '\' */
static bool rp_json_needs_escape[256];
static bool rp_json_escape_ready = false;

static void
rp_json_escape_init(void)
{
	int			c;

	for (c = 0; c < 256; c++)
		rp_json_needs_escape[c] = (c < ' ' || c == '"' || c == '\\');
	rp_json_escape_ready = true;
}

/*
 * Append str (len bytes) as a JSON string, quotes included.  Runs of bytes
 * that need no escape are copied at once.
 */
void
rp_json_append_escaped(StringInfo buf, const char *str, int len)
{
	const unsigned char *p = (const unsigned char *) str;
	const unsigned char *end = p + len;
	const unsigned char *run = p;

	if (!rp_json_escape_ready)
		rp_json_escape_init();

	/* the worst case is six bytes per input byte, plus the quotes */
	enlargeStringInfo(buf, len + 2);
	buf->data[buf->len++] = '"';
	for (; p < end; p++)
	{
		if (likely(!rp_json_needs_escape[*p]))
			continue;
		if (p > run)
			appendBinaryStringInfo(buf, (const char *) run, p - run);
		run = p + 1;
		switch (*p)
		{
			case '\b':
				appendBinaryStringInfo(buf, "\\b", 2);
				break;
			case '\f':
				appendBinaryStringInfo(buf, "\\f", 2);
				break;
			case '\n':
				appendBinaryStringInfo(buf, "\\n", 2);
				break;
			case '\r':
				appendBinaryStringInfo(buf, "\\r", 2);
				break;
			case '\t':
				appendBinaryStringInfo(buf, "\\t", 2);
				break;
			case '"':
				appendBinaryStringInfo(buf, "\\\"", 2);
				break;
			case '\\':
				appendBinaryStringInfo(buf, "\\\\", 2);
				break;
			default:
				appendStringInfo(buf, "\\u%04x", (int) *p);
				break;
		}
	}
	if (p > run)
		appendBinaryStringInfo(buf, (const char *) run, p - run);
	appendStringInfoCharMacro(buf, '"');
}

/* "name": for an object key, allocated in cxt */
char *
rp_json_label(const char *name, MemoryContext cxt, int *len)
{
	StringInfoData buf;
	MemoryContext old = MemoryContextSwitchTo(cxt);

	initStringInfo(&buf);
	rp_json_append_escaped(&buf, name, strlen(name));
	appendStringInfoChar(&buf, ':');
	MemoryContextSwitchTo(old);
	*len = buf.len;
	return buf.data;
}

/* Does typid have a cast to json by a function, as to_json() checks? */
static bool
rp_json_has_cast(Oid typid)
{
	Oid			castfunc;

	if (typid < FirstNormalObjectId)
		return false;
	return find_coercion_pathway(JSONOID, typid, COERCION_EXPLICIT,
								 &castfunc) == COERCION_PATH_FUNC &&
		OidIsValid(castfunc);
}

/*
 * Decide once how the values of a column of type typid are written, and
 * set up what that needs in cxt.
 */
void
rp_json_column_init(RpJsonColumn *column, Oid typid, const char *name,
					MemoryContext cxt)
{
	Oid			base = getBaseType(typid);
	Oid			outfunc;
	bool		varlena;

	column->typid = base;
	column->label = rp_json_label(name, cxt, &column->labellen);

	switch (base)
	{
		case BOOLOID:
			column->kind = RP_JSON_BOOL;
			return;
		case INT2OID:
			column->kind = RP_JSON_INT2;
			return;
		case INT4OID:
			column->kind = RP_JSON_INT4;
			return;
		case INT8OID:
			column->kind = RP_JSON_INT8;
			return;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			column->kind = RP_JSON_TEXT;
			return;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			column->kind = RP_JSON_DATETIME;
			return;
		case JSONOID:
			column->kind = RP_JSON_JSON;
			return;
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			column->kind = RP_JSON_NUMBER;
			break;
		case JSONBOID:
			column->kind = RP_JSON_RAW_OUTPUT;
			break;
		default:
			if (OidIsValid(get_element_type(base)) ||
				type_is_rowtype(base) || rp_json_has_cast(base))
			{
				FuncExpr   *expr;
				MemoryContext old = MemoryContextSwitchTo(cxt);

				/* to_json() learns the argument's type from its call */
				column->kind = RP_JSON_TO_JSON;
				expr = makeFuncExpr(F_TO_JSON, JSONOID,
									list_make1(makeNullConst(typid, -1,
															 InvalidOid)),
									InvalidOid, InvalidOid,
									COERCE_EXPLICIT_CALL);
				fmgr_info_cxt(F_TO_JSON, &column->func, cxt);
				fmgr_info_set_expr((Node *) expr, &column->func);
				MemoryContextSwitchTo(old);
				return;
			}
			column->kind = RP_JSON_OTHER;
			break;
	}
	getTypeOutputInfo(base, &outfunc, &varlena);
	fmgr_info_cxt(outfunc, &column->func, cxt);
}

static inline void
rp_json_append_varlena(StringInfo buf, Datum value, bool escape)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

	if (escape)
		rp_json_append_escaped(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	else
		appendBinaryStringInfo(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
}

/* Append one value of column (or null) to buf */
void
rp_json_append_value(StringInfo buf, RpJsonColumn *column, Datum value,
					 bool isnull)
{
	char		num[MAXINT8LEN + 1];
	char		dt[MAXDATELEN + 1];
	char	   *str;

	if (isnull)
	{
		appendBinaryStringInfo(buf, "null", 4);
		return;
	}
	switch (column->kind)
	{
		case RP_JSON_BOOL:
			if (DatumGetBool(value))
				appendBinaryStringInfo(buf, "true", 4);
			else
				appendBinaryStringInfo(buf, "false", 5);
			break;
		case RP_JSON_INT2:
			appendBinaryStringInfo(buf, num,
								   pg_ltoa(DatumGetInt16(value), num));
			break;
		case RP_JSON_INT4:
			appendBinaryStringInfo(buf, num,
								   pg_ltoa(DatumGetInt32(value), num));
			break;
		case RP_JSON_INT8:
			appendBinaryStringInfo(buf, num,
								   pg_lltoa(DatumGetInt64(value), num));
			break;
		case RP_JSON_TEXT:
			rp_json_append_varlena(buf, value, true);
			break;
		case RP_JSON_JSON:
			rp_json_append_varlena(buf, value, false);
			break;
		case RP_JSON_DATETIME:
			str = JsonEncodeDateTime(dt, value, column->typid, NULL);
			appendStringInfoCharMacro(buf, '"');
			appendStringInfoString(buf, str);
			appendStringInfoCharMacro(buf, '"');
			break;
		case RP_JSON_NUMBER:
			str = OutputFunctionCall(&column->func, value);
			if (IsValidJsonNumber(str, strlen(str)))
				appendStringInfoString(buf, str);
			else
				rp_json_append_escaped(buf, str, strlen(str));
			pfree(str);
			break;
		case RP_JSON_RAW_OUTPUT:
			str = OutputFunctionCall(&column->func, value);
			appendStringInfoString(buf, str);
			pfree(str);
			break;
		case RP_JSON_OTHER:
			str = OutputFunctionCall(&column->func, value);
			rp_json_append_escaped(buf, str, strlen(str));
			pfree(str);
			break;
		case RP_JSON_TO_JSON:
			value = FunctionCall1(&column->func, value);
			rp_json_append_varlena(buf, value, false);
			pfree(DatumGetPointer(value));
			break;
	}
}
