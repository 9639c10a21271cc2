/*-------------------------------------------------------------------------
 *
 * rp_json.h
 *	  JSON output of column values, the same as to_json() gives.
 *
 * fetch_json promises that each row's own fields are exactly what
 * to_json(row) would give.  Going through to_json() for every value costs
 * a function call, a catalog-driven type dispatch and a text datum per
 * value; here the dispatch is decided once per column, when a fetch is
 * planned, and the common types (integers, text, booleans, timestamps) are
 * written straight into the output buffer.  Types whose rendering is
 * involved (arrays, composites, types with a cast to json) still go
 * through to_json() itself, so that they cannot differ.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_JSON_H
#define RP_JSON_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/* How a column's values are written; decided from the column's type */
typedef enum RpJsonKind
{
	RP_JSON_BOOL,
	RP_JSON_INT2,
	RP_JSON_INT4,
	RP_JSON_INT8,
	RP_JSON_NUMBER,				/* float, numeric: output text, quoted if not
								 * a JSON number (NaN, Infinity) */
	RP_JSON_TEXT,				/* text, varchar, char(n): the bytes, escaped */
	RP_JSON_DATETIME,			/* date, timestamp, timestamptz */
	RP_JSON_JSON,				/* json: the text as it is */
	RP_JSON_RAW_OUTPUT,			/* jsonb: the output text as it is */
	RP_JSON_OTHER,				/* any other scalar: output text, escaped */
	RP_JSON_TO_JSON				/* arrays, composites, casts: to_json() */
} RpJsonKind;

/* One rendered column */
typedef struct RpJsonColumn
{
	RpJsonKind	kind;
	Oid			typid;			/* base type (domains looked through) */
	char	   *label;			/* "name": with the name escaped */
	int			labellen;
	FmgrInfo	func;			/* output function, or to_json */
} RpJsonColumn;

/*
 * Make room in buf for n more bytes and the terminating zero; callers that
 * reserved may write straight into buf->data.
 */
static inline void
rp_json_reserve(StringInfo buf, int n)
{
	if (unlikely(buf->maxlen - buf->len <= n))
		enlargeStringInfo(buf, n);
}

/* Append len bytes, without the call appendBinaryStringInfo costs */
static inline void
rp_json_put(StringInfo buf, const char *data, int len)
{
	rp_json_reserve(buf, len);
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

extern void rp_json_column_init(RpJsonColumn *column, Oid typid,
								const char *name, MemoryContext cxt);
extern void rp_json_append_value(StringInfo buf, RpJsonColumn *column,
								 Datum value, bool isnull);
extern void rp_json_append_escaped(StringInfo buf, const char *str, int len);
extern char *rp_json_label(const char *name, MemoryContext cxt, int *len);

#endif							/* RP_JSON_H */
