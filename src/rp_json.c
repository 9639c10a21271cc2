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
 * The common kinds are written straight into the buffer, room for them
 * made once: integers by pg_ltoa(), dates and timestamps of years 1 to 9999
 * by the code here (the rest by JsonEncodeDateTime()), a timestamptz in a
 * zone of one fixed offset without a time zone lookup, and strings escaped
 * with runs of plain bytes found eight at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "rp_compat.h"
#include "rp_json.h"

/* Bytes that a JSON string must escape: the controls, '"' and '\\' */
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

#define RP_ONES		UINT64CONST(0x0101010101010101)
#define RP_HIGHS	UINT64CONST(0x8080808080808080)

/*
 * Might one of the 8 bytes at p need an escape?  Each test is exact for
 * "some byte is": below ' ', or equal to '"' or '\\' (a zero byte after
 * the xor); the high bit of a byte is kept only for bytes below 0x80.
 */
static inline bool
rp_json_special8(const unsigned char *p)
{
	uint64		w;
	uint64		q;
	uint64		b;

	memcpy(&w, p, sizeof(w));
	q = w ^ (RP_ONES * '"');
	b = w ^ (RP_ONES * '\\');
	return (((w - RP_ONES * ' ') | (q - RP_ONES) | (b - RP_ONES)) &
			~w & RP_HIGHS) != 0;
}

/*
 * Append str (len bytes) as a JSON string, quotes included.  Runs of bytes
 * that need no escape are copied at once; they are found eight bytes at a
 * time.
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
	rp_json_reserve(buf, len + 2);
	buf->data[buf->len++] = '"';
	while (p < end)
	{
		if (end - p >= 8 && !rp_json_special8(p))
		{
			p += 8;
			continue;
		}
		if (likely(!rp_json_needs_escape[*p]))
		{
			p++;
			continue;
		}
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
		p++;
	}
	rp_json_reserve(buf, (p - run) + 1);
	memcpy(buf->data + buf->len, run, p - run);
	buf->len += p - run;
	buf->data[buf->len++] = '"';
	buf->data[buf->len] = '\0';
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
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	/* pg_detoast_datum_packed(), without its call for a plain value */
	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);

	if (escape)
		rp_json_append_escaped(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	else
		rp_json_put(buf, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
}

/* "00" to "99" */
static const char rp_json_digits[] =
"0001020304050607080910111213141516171819"
"2021222324252627282930313233343536373839"
"4041424344454647484950515253545556575859"
"6061626364656667686970717273747576777879"
"8081828384858687888990919293949596979899";

/* Two digits of v (0 to 99) at p */
static inline char *
rp_json_put2(char *p, int v)
{
	memcpy(p, rp_json_digits + 2 * v, 2);
	return p + 2;
}

/*
 * The ISO 8601 form to_json() gives a date (time false) or a timestamp,
 * with the offset tz (seconds west of UTC) when print_tz, written at p;
 * returns its end, or NULL when the year is outside 1 to 9999 (to_json()'s
 * own code then writes it).
 */
static char *
rp_json_put_tm(char *p, const struct pg_tm *tm, fsec_t fsec, bool time,
			   bool print_tz, int tz)
{
	int			year = tm->tm_year;

	if (year < 1 || year > 9999 || fsec < 0 || fsec >= USECS_PER_SEC)
		return NULL;
	p = rp_json_put2(p, year / 100);
	p = rp_json_put2(p, year % 100);
	*p++ = '-';
	p = rp_json_put2(p, tm->tm_mon);
	*p++ = '-';
	p = rp_json_put2(p, tm->tm_mday);
	if (!time)
		return p;
	*p++ = 'T';
	p = rp_json_put2(p, tm->tm_hour);
	*p++ = ':';
	p = rp_json_put2(p, tm->tm_min);
	*p++ = ':';
	p = rp_json_put2(p, tm->tm_sec);
	if (fsec != 0)
	{
		int			digits = 6;
		int			i;

		/* the microseconds, without trailing zeros */
		while (fsec % 10 == 0)
		{
			fsec /= 10;
			digits--;
		}
		*p++ = '.';
		for (i = digits - 1; i >= 0; i--)
		{
			p[i] = '0' + fsec % 10;
			fsec /= 10;
		}
		p += digits;
	}
	if (print_tz)
	{
		int			sec = abs(tz);
		int			min = sec / SECS_PER_MINUTE;
		int			hour = min / MINS_PER_HOUR;

		sec -= min * SECS_PER_MINUTE;
		min -= hour * MINS_PER_HOUR;
		if (hour > 99)
			return NULL;
		/* the offset's sign is the other way round from tz's */
		*p++ = (tz <= 0 ? '+' : '-');
		p = rp_json_put2(p, hour);
		*p++ = ':';
		p = rp_json_put2(p, min);
		if (sec != 0)
		{
			*p++ = ':';
			p = rp_json_put2(p, sec);
		}
	}
	return p;
}

/*
 * The session's time zone, and whether it has a single offset from UTC
 * for all time (UTC, or a fixed offset): a timestamptz is then written
 * without looking its offset up.  The arithmetic is pg_localtime()'s for
 * such a zone, as the server accepts no zone with leap seconds.
 */
static pg_tz *rp_json_zone = NULL;
static bool rp_json_zone_fixed;
static long int rp_json_zone_gmtoff;

/*
 * Write a date, timestamp or timestamptz value as to_json() does, at p
 * (room for MAXDATELEN); returns the end, or NULL for the values left to
 * to_json()'s own code (infinities, years outside 1 to 9999).
 */
static char *
rp_json_put_datetime(char *p, Datum value, Oid typid)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	Timestamp	ts;
	int			tz;

	switch (typid)
	{
		case DATEOID:
			if (DATE_NOT_FINITE(DatumGetDateADT(value)))
				return NULL;
			j2date(DatumGetDateADT(value) + POSTGRES_EPOCH_JDATE,
				   &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
			return rp_json_put_tm(p, &tm, 0, false, false, 0);
		case TIMESTAMPOID:
			ts = DatumGetTimestamp(value);
			if (TIMESTAMP_NOT_FINITE(ts) ||
				timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
				return NULL;
			return rp_json_put_tm(p, &tm, fsec, true, false, 0);
		default:
			ts = DatumGetTimestampTz(value);
			if (TIMESTAMP_NOT_FINITE(ts))
				return NULL;
			if (session_timezone != rp_json_zone)
			{
				rp_json_zone_fixed =
					pg_get_timezone_offset(session_timezone,
										   &rp_json_zone_gmtoff);
				rp_json_zone = session_timezone;
			}
			if (rp_json_zone_fixed)
			{
				/* the local time is UTC's, moved by the zone's offset */
				if (ts > END_TIMESTAMP - 2 * USECS_PER_DAY ||
					ts < MIN_TIMESTAMP + 2 * USECS_PER_DAY ||
					timestamp2tm(ts + rp_json_zone_gmtoff * USECS_PER_SEC,
								 NULL, &tm, &fsec, NULL, NULL) != 0)
					return NULL;
				tz = (int) -rp_json_zone_gmtoff;
			}
			else if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
				return NULL;
			return rp_json_put_tm(p, &tm, fsec, true, true, tz);
	}
}

/* Append one value of column (or null) to buf */
void
rp_json_append_value(StringInfo buf, RpJsonColumn *column, Datum value,
					 bool isnull)
{
	char		dt[MAXDATELEN + 1];
	char	   *str;

	if (isnull)
	{
		rp_json_put(buf, "null", 4);
		return;
	}
	switch (column->kind)
	{
		case RP_JSON_BOOL:
			if (DatumGetBool(value))
				rp_json_put(buf, "true", 4);
			else
				rp_json_put(buf, "false", 5);
			break;
		case RP_JSON_INT2:
			rp_json_reserve(buf, MAXINT8LEN + 1);
			buf->len += pg_ltoa(DatumGetInt16(value), buf->data + buf->len);
			break;
		case RP_JSON_INT4:
			rp_json_reserve(buf, MAXINT8LEN + 1);
			buf->len += pg_ltoa(DatumGetInt32(value), buf->data + buf->len);
			break;
		case RP_JSON_INT8:
			rp_json_reserve(buf, MAXINT8LEN + 1);
			buf->len += pg_lltoa(DatumGetInt64(value), buf->data + buf->len);
			break;
		case RP_JSON_TEXT:
			rp_json_append_varlena(buf, value, true);
			break;
		case RP_JSON_JSON:
			rp_json_append_varlena(buf, value, false);
			break;
		case RP_JSON_DATETIME:
			rp_json_reserve(buf, MAXDATELEN + 2);
			str = rp_json_put_datetime(buf->data + buf->len + 1, value,
									   column->typid);
			if (str != NULL)
			{
				buf->data[buf->len] = '"';
				*str++ = '"';
				*str = '\0';
				buf->len = str - buf->data;
				break;
			}
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
