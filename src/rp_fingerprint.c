/*-------------------------------------------------------------------------
 *
 * rp_fingerprint.c
 *	  Query shape fingerprints and normalized query text.
 *
 * Every counted statement is fingerprinted, so this is the hottest code of
 * the extension.  Rather than jumbling the parse tree (which costs about as
 * much as the rest of a primary-key lookup's overhead budget several times
 * over), we run one pass of a small lexer over the statement's text.  The
 * lexer knows just enough SQL to find the tokens whose spelling does not
 * change a statement's shape: literals (numbers, strings in all their
 * forms, dollar quoting), parameter symbols, comments and whitespace.  Words
 * are hashed lower-cased; quoted identifiers as written.  A parenthesized
 * list of constants after IN, and a bracketed one after ARRAY, count as one
 * constant, so that lookups of 3 and of 300 keys share a fingerprint.
 *
 * The same token stream drives rp_normalize, which rebuilds the text for
 * display with $n in place of the constants, so that what is shown always
 * matches what was hashed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "rp_fingerprint.h"

typedef enum RpTokenKind
{
	RP_TOK_END,
	RP_TOK_WORD,				/* keyword or unquoted identifier */
	RP_TOK_IDENT,				/* quoted identifier */
	RP_TOK_CONST,				/* literal */
	RP_TOK_PARAM,				/* $n */
	RP_TOK_IN_LIST,				/* IN (constants...) */
	RP_TOK_ARRAY_LIST,			/* ARRAY[constants...] */
	RP_TOK_OPEN,				/* ( or [ */
	RP_TOK_CLOSE,				/* ) or ] */
	RP_TOK_COMMA,
	RP_TOK_SEMICOLON,
	RP_TOK_OTHER				/* operators and remaining punctuation */
} RpTokenKind;

typedef struct RpToken
{
	RpTokenKind kind;
	int			start;
	int			len;
	int			bracket;		/* lists: offset of the opening bracket */
} RpToken;

typedef struct RpScanner
{
	const char *s;
	int			len;
	int			pos;
	RpTokenKind prev;			/* kind of the token returned last */
} RpScanner;

/* Character classes of the lexer: one table lookup per byte */
#define RP_CC_IDENT_START	0x01	/* starts a word */
#define RP_CC_IDENT			0x02	/* continues a word */
#define RP_CC_DIGIT			0x04
#define RP_CC_SPACE			0x08
#define RP_CC_OP			0x10	/* may be part of an operator */
#define RP_CC_OP_ONLY		0x20	/* found only in operators */
#define RP_CC_COMMENT		0x40	/* may start a comment: - or / */
#define RP_CC_STR_PREFIX	0x80	/* E'', B'', X'', N'' */

static uint8 rp_char_class[256];
static uint8 rp_lower[256];
static uint8 rp_word_byte[256]; /* lower-cased word character, or 0 */

/*
 * FNV-1a, a byte at a time: cheap for the few dozen bytes of a statement.
 * The first byte of each token is hashed with RP_TOKEN_START added, which
 * no byte has, so that token boundaries count without hashing separators.
 */
#define RP_FNV_OFFSET	UINT64CONST(0xcbf29ce484222325)
#define RP_FNV_PRIME	UINT64CONST(0x100000001b3)
#define RP_TOKEN_START	0x100

void
rp_fingerprint_init(void)
{
	int			c;

	for (c = 0; c < 256; c++)
	{
		uint8		cls = 0;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			c >= 0x80)
			cls |= RP_CC_IDENT_START | RP_CC_IDENT;
		if (c >= '0' && c <= '9')
			cls |= RP_CC_DIGIT | RP_CC_IDENT;
		if (c == '$')
			cls |= RP_CC_IDENT;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			c == '\v')
			cls |= RP_CC_SPACE;
		if (c != 0 && strchr("~!@#^&|`?+-*/%<>=", c) != NULL)
			cls |= RP_CC_OP;
		if (c != 0 && strchr("~!@#^&|`?%", c) != NULL)
			cls |= RP_CC_OP_ONLY;
		if (c == '-' || c == '/')
			cls |= RP_CC_COMMENT;
		if (c != 0 && strchr("eEbBxXnN", c) != NULL)
			cls |= RP_CC_STR_PREFIX;
		rp_char_class[c] = cls;
		rp_lower[c] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
		rp_word_byte[c] = (cls & RP_CC_IDENT) ? rp_lower[c] : 0;
	}
}

static inline bool
rp_is(const char *s, int pos, uint8 cls)
{
	return (rp_char_class[(unsigned char) s[pos]] & cls) != 0;
}

/* Skip a block comment starting at pos; they nest, as in PostgreSQL */
static int
rp_skip_block_comment(const char *s, int len, int pos)
{
	int			depth = 1;

	pos += 2;
	while (pos < len && depth > 0)
	{
		if (s[pos] == '*' && pos + 1 < len && s[pos + 1] == '/')
		{
			depth--;
			pos += 2;
		}
		else if (s[pos] == '/' && pos + 1 < len && s[pos + 1] == '*')
		{
			depth++;
			pos += 2;
		}
		else
			pos++;
	}
	return pos;
}

/* Skip whitespace and comments */
static pg_attribute_always_inline int
rp_skip_blank(const char *s, int len, int pos)
{
	while (pos < len)
	{
		uint8		cls = rp_char_class[(unsigned char) s[pos]];

		if (cls & RP_CC_SPACE)
			pos++;
		else if ((cls & RP_CC_COMMENT) == 0 || pos + 1 >= len)
			break;
		else if (s[pos] == '-' && s[pos + 1] == '-')
		{
			while (pos < len && s[pos] != '\n')
				pos++;
		}
		else if (s[pos] == '/' && s[pos + 1] == '*')
			pos = rp_skip_block_comment(s, len, pos);
		else
			break;
	}
	return pos;
}

/*
 * Skip a quoted string or identifier starting at its opening quote; a
 * doubled quote stands for itself, and with backslash_escapes (E'...') so
 * does a quote after a backslash.  Returns the position after the closing
 * quote, or len when the text ends first.
 */
static int
rp_skip_quoted(const char *s, int len, int pos, char quote,
			   bool backslash_escapes)
{
	pos++;
	while (pos < len)
	{
		if (backslash_escapes && s[pos] == '\\')
			pos += 2;
		else if (s[pos] == quote)
		{
			if (pos + 1 < len && s[pos + 1] == quote)
				pos += 2;
			else
				return pos + 1;
		}
		else
			pos++;
	}
	return len;
}

/* Skip a numeric literal: digits, fraction, exponent */
static pg_attribute_always_inline int
rp_skip_number(const char *s, int len, int pos)
{
	while (pos < len && rp_is(s, pos, RP_CC_DIGIT))
		pos++;
	if (pos < len && s[pos] == '.' &&
		!(pos + 1 < len && s[pos + 1] == '.'))
	{
		pos++;
		while (pos < len && rp_is(s, pos, RP_CC_DIGIT))
			pos++;
	}
	if (pos < len && (s[pos] == 'e' || s[pos] == 'E'))
	{
		int			p = pos + 1;

		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p < len && rp_is(s, p, RP_CC_DIGIT))
		{
			pos = p;
			while (pos < len && rp_is(s, pos, RP_CC_DIGIT))
				pos++;
		}
	}
	return pos;
}

/*
 * At a '$': a parameter symbol ($1), a dollar-quoted string ($$...$$ or
 * $tag$...$tag$), or a lone '$'.  Sets *kind and returns the end.
 */
static int
rp_skip_dollar(const char *s, int len, int pos, RpTokenKind *kind)
{
	int			tag_end = pos + 1;

	if (tag_end < len && rp_is(s, tag_end, RP_CC_DIGIT))
	{
		while (tag_end < len && rp_is(s, tag_end, RP_CC_DIGIT))
			tag_end++;
		*kind = RP_TOK_PARAM;
		return tag_end;
	}

	if (tag_end < len && rp_is(s, tag_end, RP_CC_IDENT_START))
	{
		while (tag_end < len && rp_is(s, tag_end, RP_CC_IDENT) &&
			   s[tag_end] != '$')
			tag_end++;
	}
	if (tag_end < len && s[tag_end] == '$')
	{
		int			tag_len = tag_end - pos + 1;
		int			p;

		for (p = tag_end + 1; p + tag_len <= len; p++)
		{
			if (s[p] == '$' && memcmp(s + p, s + pos, tag_len) == 0)
			{
				*kind = RP_TOK_CONST;
				return p + tag_len;
			}
		}
		*kind = RP_TOK_CONST;
		return len;
	}

	*kind = RP_TOK_OTHER;
	return pos + 1;
}

/*
 * End of an operator starting at pos.  As in PostgreSQL's lexer, a trailing
 * '+' or '-' belongs to the next token unless the operator holds one of the
 * characters that only operators use, so that "=-1" is "=" then "-1".
 */
static pg_attribute_always_inline int
rp_skip_operator(const char *s, int len, int pos)
{
	int			start = pos;
	bool		special = false;

	while (pos < len && rp_is(s, pos, RP_CC_OP))
	{
		if (pos > start &&
			((s[pos] == '-' && s[pos - 1] == '-') ||
			 (s[pos] == '*' && s[pos - 1] == '/')))
		{
			pos--;				/* a comment starts here */
			break;
		}
		if (rp_is(s, pos, RP_CC_OP_ONLY))
			special = true;
		pos++;
	}
	if (!special)
	{
		while (pos - start > 1 && (s[pos - 1] == '+' || s[pos - 1] == '-'))
			pos--;
	}
	return pos;
}

/* Does a kind of token end an operand, after which a sign is an operator? */
static inline bool
rp_is_operand(RpTokenKind kind)
{
	return kind == RP_TOK_WORD || kind == RP_TOK_IDENT ||
		kind == RP_TOK_CONST || kind == RP_TOK_PARAM ||
		kind == RP_TOK_CLOSE || kind == RP_TOK_IN_LIST ||
		kind == RP_TOK_ARRAY_LIST;
}

/* Does a number start at pos: "5", ".5"? */
static inline bool
rp_number_starts(const char *s, int len, int pos)
{
	return pos < len &&
		(rp_is(s, pos, RP_CC_DIGIT) ||
		 (s[pos] == '.' && pos + 1 < len && rp_is(s, pos + 1, RP_CC_DIGIT)));
}

/*
 * One raw token, without folding constant lists.  rp_fingerprint scans
 * words and blanks itself and hands everything else to this function.
 * Inlined: on the hot path a call per token costs more than the token.
 */
static pg_attribute_always_inline void
rp_lex(RpScanner *sc, RpToken *tok)
{
	const char *s = sc->s;
	int			len = sc->len;
	int			pos = rp_skip_blank(s, len, sc->pos);
	unsigned char c;

	tok->start = pos;
	if (pos >= len)
	{
		tok->kind = RP_TOK_END;
		tok->len = 0;
		sc->pos = pos;
		return;
	}

	c = (unsigned char) s[pos];
	if (rp_is(s, pos, RP_CC_IDENT_START))
	{
		int			end = pos + 1;

		/* E'..', B'..', X'..', N'..' are literals, not a word and a string */
		if ((rp_char_class[c] & RP_CC_STR_PREFIX) && end < len &&
			s[end] == '\'')
		{
			tok->kind = RP_TOK_CONST;
			end = rp_skip_quoted(s, len, end, '\'', c == 'e' || c == 'E');
		}
		else
		{
			while (end < len && rp_is(s, end, RP_CC_IDENT))
				end++;
			tok->kind = RP_TOK_WORD;
		}
		pos = end;
	}
	else if (rp_number_starts(s, len, pos))
	{
		tok->kind = RP_TOK_CONST;
		pos = rp_skip_number(s, len, pos);
	}
	else if ((c == '-' || c == '+') && !rp_is_operand(sc->prev) &&
			 rp_number_starts(s, len, pos + 1))
	{
		tok->kind = RP_TOK_CONST;
		pos = rp_skip_number(s, len, pos + 1);
	}
	else if (c == '\'')
	{
		tok->kind = RP_TOK_CONST;
		pos = rp_skip_quoted(s, len, pos, '\'', false);
	}
	else if (c == '"')
	{
		tok->kind = RP_TOK_IDENT;
		pos = rp_skip_quoted(s, len, pos, '"', false);
	}
	else if (c == '$')
		pos = rp_skip_dollar(s, len, pos, &tok->kind);
	else if (c == '(' || c == '[')
	{
		tok->kind = RP_TOK_OPEN;
		pos++;
	}
	else if (c == ')' || c == ']')
	{
		tok->kind = RP_TOK_CLOSE;
		pos++;
	}
	else if (c == ',')
	{
		tok->kind = RP_TOK_COMMA;
		pos++;
	}
	else if (c == ';')
	{
		tok->kind = RP_TOK_SEMICOLON;
		pos++;
	}
	else if (rp_is(s, pos, RP_CC_OP))
	{
		tok->kind = RP_TOK_OTHER;
		pos = rp_skip_operator(s, len, pos);
		if (pos == tok->start)
			pos++;
	}
	else
	{
		tok->kind = RP_TOK_OTHER;
		pos++;
	}

	tok->len = pos - tok->start;
	sc->pos = pos;
}

/*
 * After IN or ARRAY, try to read a bracketed list of constants:
 * "(const, const, ...)" or "[const, ...]".  On success the scanner stands
 * after the list and *bracket is where it began; otherwise the scanner is
 * unchanged.
 */
static bool
rp_fold_const_list(RpScanner *sc, char open, int *bracket)
{
	RpScanner	save = *sc;
	char		close = (open == '(') ? ')' : ']';
	RpToken		tok;

	rp_lex(sc, &tok);
	if (tok.kind == RP_TOK_OPEN && sc->s[tok.start] == open)
	{
		*bracket = tok.start;
		sc->prev = RP_TOK_OPEN;
		for (;;)
		{
			rp_lex(sc, &tok);
			if (tok.kind != RP_TOK_CONST && tok.kind != RP_TOK_PARAM)
				break;
			sc->prev = tok.kind;
			rp_lex(sc, &tok);
			if (tok.kind == RP_TOK_CLOSE && sc->s[tok.start] == close)
				return true;
			if (tok.kind != RP_TOK_COMMA)
				break;
			sc->prev = RP_TOK_COMMA;
		}
	}
	*sc = save;
	return false;
}

/* Is the word at tok, case-insensitively, the given lower-case keyword? */
static inline bool
rp_word_is(RpScanner *sc, RpToken *tok, const char *keyword, int kwlen)
{
	int			i;

	for (i = 0; i < kwlen; i++)
	{
		if (rp_lower[(unsigned char) sc->s[tok->start + i]] != keyword[i])
			return false;
	}
	return true;
}

/*
 * After a word, fold "IN (constants)" or "ARRAY[constants]" into one token:
 * returns its kind and moves the scanner past the list, or returns
 * RP_TOK_WORD.  PostgreSQL turns both into "= ANY (array)".
 */
static RpTokenKind
rp_fold_word(RpScanner *sc, int start, int wordlen, int *bracket)
{
	RpToken		word;

	word.start = start;
	if (wordlen == 2 && rp_word_is(sc, &word, "in", 2) &&
		rp_fold_const_list(sc, '(', bracket))
		return RP_TOK_IN_LIST;
	if (wordlen == 5 && rp_word_is(sc, &word, "array", 5) &&
		rp_fold_const_list(sc, '[', bracket))
		return RP_TOK_ARRAY_LIST;
	return RP_TOK_WORD;
}

/* The next token, with constant lists folded */
static void
rp_next_token(RpScanner *sc, RpToken *tok)
{
	rp_lex(sc, tok);
	if (tok->kind == RP_TOK_WORD && (tok->len == 2 || tok->len == 5))
	{
		sc->prev = RP_TOK_WORD;
		tok->kind = rp_fold_word(sc, tok->start, tok->len, &tok->bracket);
		tok->len = sc->pos - tok->start;
	}
	sc->prev = tok->kind;
}

static inline void
rp_scanner_init(RpScanner *sc, const char *text, int len)
{
	sc->s = text;
	sc->len = len;
	sc->pos = 0;
	sc->prev = RP_TOK_END;
}

/*
 * A prepared statement's text is its whole PREPARE: skip "PREPARE name
 * [(types)] AS", so that EXECUTE counts as the same shape as the statement
 * sent with literals or through the extended protocol.
 */
const char *
rp_prepared_text(const char *source, int *len)
{
	RpScanner	sc;
	RpToken		tok;
	int			depth = 0;

	rp_scanner_init(&sc, source, strlen(source));
	for (;;)
	{
		rp_lex(&sc, &tok);
		sc.prev = tok.kind;
		if (tok.kind == RP_TOK_END)
			break;
		if (tok.kind == RP_TOK_OPEN)
			depth++;
		else if (tok.kind == RP_TOK_CLOSE)
			depth--;
		else if (depth == 0 && tok.kind == RP_TOK_WORD && tok.len == 2 &&
				 rp_word_is(&sc, &tok, "as", 2))
		{
			int			start = rp_skip_blank(source, sc.len, sc.pos);

			*len = sc.len - start;
			return source + start;
		}
	}
	*len = sc.len;
	return source;
}


/* Hash one token's bytes, its first one marked as a token start */
static inline uint64
rp_hash_token(uint64 hash, const char *p, int n)
{
	int			i;

	hash = (hash ^ (RP_TOKEN_START | (unsigned char) p[0])) * RP_FNV_PRIME;
	for (i = 1; i < n; i++)
		hash = (hash ^ (unsigned char) p[i]) * RP_FNV_PRIME;
	return hash;
}

/* What "= ANY ($1)" hashes to: an IN list of constants is the same shape */
static uint64
rp_hash_any_constant(uint64 hash)
{
	hash = rp_hash_token(hash, "=", 1);
	hash = rp_hash_token(hash, "any", 3);
	hash = rp_hash_token(hash, "(", 1);
	hash = rp_hash_token(hash, "?", 1);
	return rp_hash_token(hash, ")", 1);
}

/*
 * The end of the whitespace and comments from pos: where the lexer's next
 * token starts (for rp_fingerprint_cache.c).
 */
int
rp_fingerprint_blank_end(const char *text, int len, int pos)
{
	return rp_skip_blank(text, len, pos);
}

/* Note a constant, a parameter or a list; *nspans counts them all */
static inline void
rp_note_span(RpConstSpan *spans, int maxspans, int *nspans, RpConstKind kind,
			 int start, int len)
{
	if (spans != NULL)
	{
		if (*nspans < maxspans)
		{
			spans[*nspans].kind = kind;
			spans[*nspans].start = start;
			spans[*nspans].len = len;
			spans[*nspans].is_number = false;
		}
		(*nspans)++;
	}
}

/* Note a stretch of whitespace holding a comment; *nblanks counts them all */
static inline void
rp_note_blank(RpTextSpan *blanks, int maxblanks, int *nblanks, int start,
			  int len)
{
	if (blanks != NULL)
	{
		if (*nblanks < maxblanks)
		{
			blanks[*nblanks].start = start;
			blanks[*nblanks].len = len;
		}
		(*nblanks)++;
	}
}

uint64
rp_fingerprint(const char *s, int len, RpConstSpan *spans, int *nspans)
{
	uint64		fingerprint = rp_fingerprint_scan(s, len, spans,
												  RP_MAX_CONST_SPANS, nspans,
												  NULL, 0, NULL);

	if (nspans != NULL && *nspans > RP_MAX_CONST_SPANS)
		*nspans = RP_MAX_CONST_SPANS;
	return fingerprint;
}

/*
 * The hash of the statement's tokens: words lower-cased, constants,
 * parameters and ARRAY[...] lists as "?", IN (...) lists as "= any (?)",
 * other tokens as written.
 *
 * This is the per-statement hot path, so rather than asking rp_lex for
 * tokens it walks the bytes itself, hashing words as it scans them; for
 * everything but words and blanks it calls the helpers rp_lex uses, in the
 * same order, so that both see the same tokens.
 */
uint64
rp_fingerprint_scan(const char *s, int len, RpConstSpan *spans, int maxspans,
					int *nspans, RpTextSpan *blanks, int maxblanks,
					int *nblanks)
{
	uint64		hash = RP_FNV_OFFSET;
	RpTokenKind prev = RP_TOK_END;	/* for signs, as RpScanner.prev */
	int			pos = 0;

	/*
	 * The byte after the statement is always there (the string's NUL, or the
	 * ";" after a statement of a multi-statement string).  When it cannot
	 * continue a word, as always in practice, words need no bounds check.
	 */
	bool		word_stops = rp_word_byte[(unsigned char) s[len]] == 0;

	if (nspans != NULL)
		*nspans = 0;
	if (nblanks != NULL)
		*nblanks = 0;

	while (pos < len)
	{
		unsigned char c = (unsigned char) s[pos];
		uint8		cls = rp_char_class[c];
		int			start = pos;

		if (cls & RP_CC_SPACE)
		{
			pos++;
			continue;
		}
		if ((cls & RP_CC_COMMENT) && rp_skip_blank(s, len, pos) != pos)
		{
			pos = rp_skip_blank(s, len, pos);
			rp_note_blank(blanks, maxblanks, nblanks, start, pos - start);
			continue;
		}

		if ((cls & RP_CC_IDENT_START) &&
			!((cls & RP_CC_STR_PREFIX) && pos + 1 < len && s[pos + 1] == '\''))
		{
			uint64		before = hash;

			const unsigned char *p = (const unsigned char *) s + pos + 1;
			uint8		b;

			hash = (hash ^ (RP_TOKEN_START | rp_lower[c])) * RP_FNV_PRIME;
			if (word_stops)
			{
				while ((b = rp_word_byte[*p]) != 0)
				{
					hash = (hash ^ b) * RP_FNV_PRIME;
					p++;
				}
			}
			else
			{
				while (p < (const unsigned char *) s + len &&
					   (b = rp_word_byte[*p]) != 0)
				{
					hash = (hash ^ b) * RP_FNV_PRIME;
					p++;
				}
			}
			pos = p - (const unsigned char *) s;
			prev = RP_TOK_WORD;
			if ((pos - start == 2 && rp_lower[c] == 'i') ||
				(pos - start == 5 && rp_lower[c] == 'a'))
			{
				RpScanner	sc = {s, len, pos, RP_TOK_WORD};
				int			bracket;

				prev = rp_fold_word(&sc, start, pos - start, &bracket);
				/* as "= ANY ($1)" and "$1": what PostgreSQL makes of them */
				if (prev == RP_TOK_IN_LIST)
					hash = rp_hash_any_constant(before);
				else if (prev == RP_TOK_ARRAY_LIST)
					hash = rp_hash_token(before, "?", 1);
				if (prev == RP_TOK_IN_LIST || prev == RP_TOK_ARRAY_LIST)
					rp_note_span(spans, maxspans, nspans, RP_CONST_LIST, start,
								 sc.pos - start);
				pos = sc.pos;
			}
		}
		else if (cls & RP_CC_DIGIT)
		{
			/* a number, the commonest constant: what rp_lex would find */
			pos = rp_skip_number(s, len, pos);
			prev = RP_TOK_CONST;
			hash = rp_hash_token(hash, "?", 1);
			rp_note_span(spans, maxspans, nspans, RP_CONST_LITERAL, start, pos - start);
		}
		else if (c == '=' &&
				 (pos + 1 >= len ||
				  (rp_char_class[(unsigned char) s[pos + 1]] & RP_CC_OP) == 0))
		{
			/* "=" alone, the commonest operator: what rp_lex would find */
			pos++;
			prev = RP_TOK_OTHER;
			hash = rp_hash_token(hash, "=", 1);
		}
		else
		{
			/* not a word: the rest of rp_lex, then hash what it found */
			RpScanner	sc = {s, len, pos, prev};
			RpToken		tok;

			rp_lex(&sc, &tok);
			pos = sc.pos;
			prev = tok.kind;
			if (tok.kind == RP_TOK_SEMICOLON)
				continue;
			if (tok.kind == RP_TOK_CONST || tok.kind == RP_TOK_PARAM)
			{
				hash = rp_hash_token(hash, "?", 1);
				rp_note_span(spans, maxspans, nspans,
							 tok.kind == RP_TOK_CONST ? RP_CONST_LITERAL :
							 RP_CONST_PARAM, tok.start, tok.len);
			}
			else
				hash = rp_hash_token(hash, s + tok.start, tok.len);
		}
	}

	/* 0 means "no fingerprint" to the callers */
	return hash != 0 ? hash : 1;
}

char *
rp_normalize(const char *text, int len, int maxlen)
{
	StringInfoData out;
	RpScanner	sc;
	RpToken		tok;
	int			copied;
	int			nconst = 0;
	int			end;

	initStringInfo(&out);
	rp_scanner_init(&sc, text, len);
	copied = rp_skip_blank(text, len, 0);
	end = copied;
	for (;;)
	{
		rp_next_token(&sc, &tok);
		if (tok.kind == RP_TOK_END)
			break;
		if (tok.kind == RP_TOK_SEMICOLON)
			continue;
		end = tok.start + tok.len;
		if (tok.kind == RP_TOK_IN_LIST || tok.kind == RP_TOK_ARRAY_LIST)
		{
			/* keep the keyword as written, then the collapsed list */
			appendBinaryStringInfo(&out, text + copied, tok.bracket - copied);
			appendStringInfo(&out, tok.kind == RP_TOK_IN_LIST ?
							 "($%d /*, ... */)" : "[$%d /*, ... */]",
							 ++nconst);
		}
		else if (tok.kind == RP_TOK_CONST || tok.kind == RP_TOK_PARAM)
		{
			appendBinaryStringInfo(&out, text + copied, tok.start - copied);
			appendStringInfo(&out, "$%d", ++nconst);
		}
		else
			continue;
		copied = tok.start + tok.len;
	}
	if (end > copied)
		appendBinaryStringInfo(&out, text + copied, end - copied);

	if (out.len > maxlen)
	{
		out.len = pg_mbcliplen(out.data, out.len, maxlen);
		out.data[out.len] = '\0';
	}
	return out.data;
}
