/*-------------------------------------------------------------------------
 *
 * rp_fingerprint.h
 *	  Query shape fingerprints and normalized query text.
 *
 * Two statements share a fingerprint when their text differs only in
 * constants, parameter symbols, lists of constants after IN or ARRAY,
 * whitespace, comments and the case of unquoted words.  The fingerprint is
 * computed from the text alone, with one pass of a small lexer, so that it
 * costs far less than jumbling the parse tree.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RP_FINGERPRINT_H
#define RP_FINGERPRINT_H

#include "postgres.h"

/* Fill the lexer's character tables; called once, from _PG_init */
extern void rp_fingerprint_init(void);

/*
 * Locate one statement's text inside the query string it came from, given
 * its position (location -1 meaning the whole string, length 0 "to the
 * end").  Inline: every statement counted asks.
 */
static inline const char *
rp_statement_text(const char *source, int location, int length, int *len)
{
	if (location < 0)
	{
		location = 0;
		length = 0;
	}
	if (length <= 0)
		length = strlen(source + location);

	*len = length;
	return source + location;
}

/* The statement of "PREPARE name [(types)] AS statement" */
extern const char *rp_prepared_text(const char *source, int *len);

/* Where the first constants of a statement are, for the proof of a loop */
#define RP_MAX_CONST_SPANS	4

typedef enum RpConstKind
{
	RP_CONST_LITERAL,			/* a number or a string */
	RP_CONST_PARAM,				/* $n */
	RP_CONST_LIST				/* IN (...) or ARRAY[...]: one, unknown */
} RpConstKind;

typedef struct RpConstSpan
{
	RpConstKind kind;
	int			start;
	int			len;
	bool		is_number;		/* digits alone, at most 18 of them, whose */
	int64		number;			/* value this is (set by a cache match only) */
} RpConstSpan;

/* A stretch of a statement's text: whitespace holding a comment */
typedef struct RpTextSpan
{
	int			start;
	int			len;
} RpTextSpan;

/*
 * Fingerprint of a statement's text; never 0.  When spans is not NULL, the
 * first RP_MAX_CONST_SPANS constants, parameters and lists are put there,
 * in the order of the text, and their number in *nspans.
 */
extern uint64 rp_fingerprint(const char *text, int len, RpConstSpan *spans,
							 int *nspans);

/*
 * For rp_fingerprint_cache.c: the same, with room for maxspans spans, and
 * *nspans counting all the text has (which may be more than were put in
 * spans); when blanks is not NULL, the stretches of whitespace that hold a
 * comment go there, counted in *nblanks.
 */
extern uint64 rp_fingerprint_scan(const char *text, int len,
								  RpConstSpan *spans, int maxspans,
								  int *nspans, RpTextSpan *blanks,
								  int maxblanks, int *nblanks);

/* Where the whitespace and comments from pos end, as the lexer sees them */
extern int	rp_fingerprint_blank_end(const char *text, int len, int pos);

/*
 * The fingerprint of a statement about to be counted, as rp_fingerprint
 * gives it (spans, when not NULL, with room for RP_MAX_CONST_SPANS).  A
 * statement whose text differs from one fingerprinted before in this
 * session only in its numbers and plain strings is matched against that
 * one's text instead of being lexed (rp_fingerprint_cache.c).  hint is
 * anything the caller knows that tells statements apart (where to look;
 * the answer does not depend on it).  The text is a statement of a query
 * string, and so followed by a byte of that string or by its terminating
 * zero: a run of digits is read up to a byte that is not one.
 */
extern uint64 rp_fingerprint_statement(const char *text, int len,
									   uint32 hint, RpConstSpan *spans,
									   int *nspans);

/*
 * Statement text with constants replaced by $1, $2, ... and constant lists
 * collapsed, palloc'd, at most maxlen bytes (cut at a character boundary).
 */
extern char *rp_normalize(const char *text, int len, int maxlen);

#endif							/* RP_FINGERPRINT_H */
