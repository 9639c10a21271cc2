/*-------------------------------------------------------------------------
 *
 * rp_fingerprint_cache.c
 *	  Statement texts each backend remembers, so that a statement that
 *	  differs from one seen before only in its constants is fingerprinted
 *	  without being lexed.
 *
 * An application sends the same few shapes again and again, with other
 * numbers and strings in them, other comments (sqlcommenter's and
 * OpenTelemetry's trace ids change with every request), or (through the
 * extended protocol) the very same text.  Lexing the text is most of what
 * counting a statement costs, so the backend keeps the texts it lexed last,
 * each with its fingerprint and where its constants and comments are.  A
 * statement is first matched against the texts kept for statements like
 * it: the same bytes between the parts, a run of digits where the kept text
 * has a run of digits, a '...' string with no quote inside where it has
 * one, the same parameter symbols, and whitespace holding comments, of any
 * length but not none, where it has some.  A match has the kept text's
 * fingerprint, and its constants are where the match found them.
 *
 * Why a match has the kept text's fingerprint: the lexer reads a text from
 * left to right, and where a token ends depends on its own bytes and the
 * byte after it, never on what comes later.  Both texts have the same bytes
 * up to a part, so the lexer is in the same state there; a run of digits
 * followed by the same byte is one number token in both, whatever its
 * digits (the kept run is maximal and followed by neither a fraction nor an
 * exponent, or it would not be a run of digits alone), and a string with no
 * quote inside, not followed by a quote, is one string token.  Whitespace
 * and comments are found by the lexer's own function, and a stretch of them
 * that is not empty separates the same tokens as the kept one does.
 * Constants all hash alike and comments not at all, so both texts make the
 * same hash.  Texts whose constants are of other forms (signed, decimal,
 * E'...', dollar-quoted, lists after IN or ARRAY), with more than
 * RP_FPC_PARTS constants and comments, or longer than RP_FPC_MAX_TEXT bytes
 * are lexed every time.  Assert-enabled builds check every match against
 * the lexer.
 *
 * The texts are kept in a set-associative table: RP_FPC_SETS sets of
 * RP_FPC_WAYS texts, a set chosen by the caller's hint and the text's first
 * bytes, the text used last first in its set and the one used least long
 * ago replaced.  The texts are in a memory context of their own under
 * TopMemoryContext: at most RP_FPC_SETS * RP_FPC_WAYS * RP_FPC_MAX_TEXT
 * bytes (128 kB) of texts kept, and less than as much again of chunks an
 * entry outgrew, which the context reuses.  The table is the backend's
 * own: no lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "rp_fingerprint.h"

#define RP_FPC_SETS			16
#define RP_FPC_WAYS			4
#define RP_FPC_PARTS		16	/* constants and comments of a kept text */
#define RP_FPC_MAX_TEXT		2048

/* What stands at a part of a kept text, and what matches it */
typedef enum RpFpcConst
{
	RP_FPC_DIGITS,				/* a run of digits */
	RP_FPC_STRING,				/* '...' with no quote inside */
	RP_FPC_SAME,				/* a parameter symbol: the same bytes */
	RP_FPC_BLANK				/* whitespace with comments: any, not none */
} RpFpcConst;

/* A constant or a comment of a kept text */
typedef struct RpFpcPart
{
	int			start;
	int			len;
	uint8		what;			/* RpFpcConst */
	uint8		kind;			/* RpConstKind, of a constant */
} RpFpcPart;

typedef struct RpFpcEntry
{
	uint64		fingerprint;	/* 0: the entry is empty */
	uint32		hint;			/* the set's key, in full */
	int			len;
	int			nparts;			/* its constants and comments, in order */
	RpFpcPart	parts[RP_FPC_PARTS];
	char	   *text;			/* len bytes, in rp_fpc_cxt */
	int			capacity;		/* bytes allocated for text */
} RpFpcEntry;

/* Each set's entries, the one used last first */
typedef struct RpFpcSet
{
	RpFpcEntry *way[RP_FPC_WAYS];
} RpFpcSet;

static RpFpcEntry rp_fpc_entries[RP_FPC_SETS * RP_FPC_WAYS];
static RpFpcSet rp_fpc_sets[RP_FPC_SETS];
static MemoryContext rp_fpc_cxt = NULL;

/* The set's key: the caller's hint and up to 8 first bytes of the text */
static inline uint32
rp_fpc_key(const char *text, int len, uint32 hint)
{
	uint64		head = 0;
	int			i;

	/* a copy of a constant size is a load, not a call */
	if (len >= 8)
		memcpy(&head, text, 8);
	else
	{
		for (i = 0; i < len; i++)
			head |= (uint64) (unsigned char) text[i] << (8 * i);
	}
	head = (head ^ hint) * UINT64CONST(0x9e3779b97f4a7c15);
	return (uint32) (head >> 32);
}

/* The difference of the 8 bytes at a and at b: 0 when they are the same */
static inline uint64
rp_fpc_word_diff(const char *a, const char *b)
{
	uint64		x;
	uint64		y;

	/* a copy of a constant size is a load, not a call */
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x ^ y;
}

/*
 * Are n bytes at a and b the same?  The bytes between a kept text's parts
 * are mostly a few dozen: compared here two words at a time, the last two
 * overlapping the ones before them, without a call.
 */
static inline bool
rp_fpc_same(const char *a, const char *b, int n)
{
	if (n > 16)
	{
		for (; n > 16; a += 16, b += 16, n -= 16)
		{
			if ((rp_fpc_word_diff(a, b) | rp_fpc_word_diff(a + 8, b + 8)) != 0)
				return false;
		}
		return (rp_fpc_word_diff(a + n - 16, b + n - 16) |
				rp_fpc_word_diff(a + n - 8, b + n - 8)) == 0;
	}
	if (n >= 8)
		return (rp_fpc_word_diff(a, b) |
				rp_fpc_word_diff(a + n - 8, b + n - 8)) == 0;
	for (; n > 0; a++, b++, n--)
	{
		if (*a != *b)
			return false;
	}
	return true;
}

/*
 * Does text match the kept one?  Then its constants go to spans (when not
 * NULL, the first RP_MAX_CONST_SPANS of them) and their number to *nspans.
 */
static bool
rp_fpc_match(const RpFpcEntry *e, const char *text, int len,
			 RpConstSpan *spans, int *nspans)
{
	int			kept = 0;		/* where we are in the kept text */
	int			pos = 0;		/* and in text */
	int			nconst = 0;
	int			i;

	for (i = 0; i < e->nparts; i++)
	{
		const RpFpcPart *part = &e->parts[i];
		int			same = part->start - kept;
		int			n = 0;
		uint64		number = 0;
		bool		is_number = false;

		if (pos + same > len || !rp_fpc_same(text + pos, e->text + kept, same))
			return false;
		pos += same;
		switch ((RpFpcConst) part->what)
		{
			case RP_FPC_DIGITS:
				{
					const char *p = text + pos;
					unsigned char digit;

					/* the text is followed by a byte: see rp_fingerprint.h */
					while ((digit = (unsigned char) (*p - '0')) <= 9)
					{
						number = number * 10 + digit;
						p++;
					}
					n = p - (text + pos);
					if (n == 0 || pos + n > len)
						return false;

					/* beyond 18 digits, the proof's key is its text's */
					is_number = n <= 18;
				}
				break;
			case RP_FPC_STRING:
				{
					const char *close;

					if (pos >= len || text[pos] != '\'')
						return false;
					close = memchr(text + pos + 1, '\'', len - pos - 1);
					if (close == NULL)
						return false;
					n = close - (text + pos) + 1;
					if (pos + n < len && text[pos + n] == '\'')
						return false;	/* a doubled quote: not plain */
				}
				break;
			case RP_FPC_SAME:
				n = part->len;
				if (pos + n > len ||
					!rp_fpc_same(text + pos, e->text + part->start, n))
					return false;
				break;
			case RP_FPC_BLANK:
				/* none would join the tokens on either side */
				n = rp_fingerprint_blank_end(text, len, pos) - pos;
				if (n == 0)
					return false;
				pos += n;
				kept = part->start + part->len;
				continue;
		}
		if (spans != NULL && nconst < RP_MAX_CONST_SPANS)
		{
			spans[nconst].kind = (RpConstKind) part->kind;
			spans[nconst].start = pos;
			spans[nconst].len = n;
			spans[nconst].is_number = is_number;
			spans[nconst].number = (int64) number;
		}
		nconst++;
		pos += n;
		kept = part->start + part->len;
	}
	if (len - pos != e->len - kept ||
		!rp_fpc_same(text + pos, e->text + kept, len - pos))
		return false;
	if (nspans != NULL)
		*nspans = Min(nconst, RP_MAX_CONST_SPANS);
	return true;
}

/* What a constant the lexer found can be matched by, or -1 for nothing */
static int
rp_fpc_const(const char *text, const RpConstSpan *sp)
{
	const char *s = text + sp->start;
	int			i;

	if (sp->kind == RP_CONST_PARAM)
		return RP_FPC_SAME;
	if (sp->kind != RP_CONST_LITERAL || sp->len == 0)
		return -1;
	if (s[0] == '\'')
	{
		if (sp->len < 2 || s[sp->len - 1] != '\'' ||
			memchr(s + 1, '\'', sp->len - 2) != NULL)
			return -1;
		return RP_FPC_STRING;
	}
	for (i = 0; i < sp->len; i++)
	{
		if ((unsigned char) (s[i] - '0') > 9)
			return -1;
	}
	return RP_FPC_DIGITS;
}

/* Make a set's entry the first, as the one used last */
static inline void
rp_fpc_touch(RpFpcSet *set, int way)
{
	RpFpcEntry *used = set->way[way];

	memmove(&set->way[1], &set->way[0], sizeof(RpFpcEntry *) * way);
	set->way[0] = used;
}

/*
 * Keep a text just lexed in the set's least recently used entry, its
 * constants and its comments merged in the order of the text, unless one of
 * its constants is of a form a match cannot check.
 */
static void
rp_fpc_keep(RpFpcSet *set, uint32 key, const char *text, int len,
			uint64 fingerprint, const RpConstSpan *spans, int nspans,
			const RpTextSpan *blanks, int nblanks)
{
	RpFpcEntry *e = set->way[RP_FPC_WAYS - 1];
	uint8		what[RP_FPC_PARTS];
	char	   *bigger;
	int			c = 0;
	int			b = 0;
	int			n;

	if (nspans + nblanks > RP_FPC_PARTS)
		return;
	for (c = 0; c < nspans; c++)
	{
		int			w = rp_fpc_const(text, &spans[c]);

		if (w < 0)
			return;
		what[c] = (uint8) w;
	}

	/* the constants and the comments, in the order of the text */
	e->fingerprint = 0;			/* empty until it is whole */
	for (c = 0, n = 0; n < nspans + nblanks; n++)
	{
		RpFpcPart  *part = &e->parts[n];

		if (b < nblanks && (c == nspans || blanks[b].start < spans[c].start))
		{
			part->start = blanks[b].start;
			part->len = blanks[b++].len;
			part->what = RP_FPC_BLANK;
		}
		else
		{
			part->start = spans[c].start;
			part->len = spans[c].len;
			part->kind = (uint8) spans[c].kind;
			part->what = what[c++];
		}
	}

	if (e->capacity < len)
	{
		if (rp_fpc_cxt == NULL)
			rp_fpc_cxt = AllocSetContextCreate(TopMemoryContext,
											   "relprefetch statement texts",
											   ALLOCSET_SMALL_SIZES);
		/* the old text goes only once the new one is had (out of memory) */
		bigger = MemoryContextAlloc(rp_fpc_cxt, Max(len, 64));
		if (e->text != NULL)
			pfree(e->text);
		e->text = bigger;
		e->capacity = Max(len, 64);
	}
	memcpy(e->text, text, len);
	e->len = len;
	e->hint = key;
	e->fingerprint = fingerprint;
	e->nparts = n;
	rp_fpc_touch(set, RP_FPC_WAYS - 1);
}

/* Give each set its entries, all empty */
static void
rp_fpc_setup(void)
{
	int			i;
	int			w;

	for (i = 0; i < RP_FPC_SETS; i++)
		for (w = 0; w < RP_FPC_WAYS; w++)
			rp_fpc_sets[i].way[w] = &rp_fpc_entries[i * RP_FPC_WAYS + w];
}

#ifdef USE_ASSERT_CHECKING
/* A match must be what the lexer would have made of the text */
static void
rp_fpc_check(const char *text, int len, uint64 fingerprint,
			 const RpConstSpan *spans, int nspans)
{
	RpConstSpan lexed[RP_MAX_CONST_SPANS];
	int			nlexed;

	Assert(rp_fingerprint(text, len, lexed, &nlexed) == fingerprint);
	if (spans != NULL)
	{
		int			i;

		Assert(nlexed == nspans);
		for (i = 0; i < nspans; i++)
		{
			Assert(lexed[i].kind == spans[i].kind &&
				   lexed[i].start == spans[i].start &&
				   lexed[i].len == spans[i].len);
			Assert(!spans[i].is_number ||
				   spans[i].number == strtoi64(text + spans[i].start, NULL, 10));
		}
	}
}
#endif

/*
 * No kept text matched: lex the text, and keep it.  Out of line, so that
 * the path of a match carries no array of spans.
 */
static pg_noinline uint64
rp_fpc_lex(RpFpcSet *set, uint32 key, const char *text, int len,
		   RpConstSpan *spans, int *nspans)
{
	RpConstSpan lexed[RP_FPC_PARTS];
	RpTextSpan	blanks[RP_FPC_PARTS];
	int			nlexed;
	int			nblanks;
	uint64		fingerprint;

	fingerprint = rp_fingerprint_scan(text, len, lexed, RP_FPC_PARTS, &nlexed,
									  set != NULL ? blanks : NULL,
									  RP_FPC_PARTS, &nblanks);
	if (spans != NULL)
	{
		*nspans = Min(nlexed, RP_MAX_CONST_SPANS);
		memcpy(spans, lexed, sizeof(RpConstSpan) * *nspans);
	}
	if (set != NULL)
		rp_fpc_keep(set, key, text, len, fingerprint, lexed, nlexed,
					blanks, nblanks);
	return fingerprint;
}

uint64
rp_fingerprint_statement(const char *text, int len, uint32 hint,
						 RpConstSpan *spans, int *nspans)
{
	uint32		key;
	RpFpcSet   *set;
	int			way;

	if (len > RP_FPC_MAX_TEXT)
		return rp_fpc_lex(NULL, 0, text, len, spans, nspans);

	key = rp_fpc_key(text, len, hint);
	set = &rp_fpc_sets[key % RP_FPC_SETS];
	if (unlikely(set->way[0] == NULL))
		rp_fpc_setup();
	for (way = 0; way < RP_FPC_WAYS; way++)
	{
		RpFpcEntry *e = set->way[way];

		if (e->hint == key && e->fingerprint != 0 &&
			rp_fpc_match(e, text, len, spans, nspans))
		{
			if (way > 0)
				rp_fpc_touch(set, way);
#ifdef USE_ASSERT_CHECKING
			rp_fpc_check(text, len, e->fingerprint, spans,
						 spans != NULL ? *nspans : 0);
#endif
			return e->fingerprint;
		}
	}
	return rp_fpc_lex(set, key, text, len, spans, nspans);
}
