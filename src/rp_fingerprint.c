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

/* Bytes of normalized text hashed at once */
#define RP_HASH_CHUNK 256

typedef struct RpHashState
{
	uint64		hash;
	int			used;
	unsigned char buf[RP_HASH_CHUNK];
} RpHashState;

static inline bool
rp_is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		c >= 0x80;
}

static inline bool
rp_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
rp_is_ident_char(unsigned char c)
{
	return rp_is_ident_start(c) || rp_is_digit(c) || c == '$';
}

static inline bool
rp_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/* Characters PostgreSQL's lexer allows in operators */
static inline bool
rp_is_op_char(unsigned char c)
{
	return strchr("~!@#^&|`?+-*/%<>=", c) != NULL && c != '\0';
}

/* Skip whitespace and comments (nested block comments, as PostgreSQL does) */
static int
rp_skip_blank(const char *s, int len, int pos)
{
	while (pos < len)
	{
		if (rp_is_space((unsigned char) s[pos]))
			pos++;
		else if (s[pos] == '-' && pos + 1 < len && s[pos + 1] == '-')
		{
			while (pos < len && s[pos] != '\n')
				pos++;
		}
		else if (s[pos] == '/' && pos + 1 < len && s[pos + 1] == '*')
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
		}
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
static int
rp_skip_number(const char *s, int len, int pos)
{
	while (pos < len && rp_is_digit((unsigned char) s[pos]))
		pos++;
	if (pos < len && s[pos] == '.' &&
		!(pos + 1 < len && s[pos + 1] == '.'))
	{
		pos++;
		while (pos < len && rp_is_digit((unsigned char) s[pos]))
			pos++;
	}
	if (pos < len && (s[pos] == 'e' || s[pos] == 'E'))
	{
		int			p = pos + 1;

		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p < len && rp_is_digit((unsigned char) s[p]))
		{
			pos = p;
			while (pos < len && rp_is_digit((unsigned char) s[pos]))
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

	if (tag_end < len && rp_is_digit((unsigned char) s[tag_end]))
	{
		while (tag_end < len && rp_is_digit((unsigned char) s[tag_end]))
			tag_end++;
		*kind = RP_TOK_PARAM;
		return tag_end;
	}

	if (tag_end < len && rp_is_ident_start((unsigned char) s[tag_end]))
	{
		while (tag_end < len && rp_is_ident_char((unsigned char) s[tag_end]) &&
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
static int
rp_skip_operator(const char *s, int len, int pos)
{
	int			start = pos;
	bool		special = false;

	while (pos < len && rp_is_op_char((unsigned char) s[pos]))
	{
		if (pos > start &&
			((s[pos] == '-' && s[pos - 1] == '-') ||
			 (s[pos] == '*' && s[pos - 1] == '/')))
		{
			pos--;				/* a comment starts here */
			break;
		}
		if (strchr("~!@#^&|`?%", s[pos]) != NULL)
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

/* Can a signed number start here, given what came before? */
static inline bool
rp_sign_starts_number(RpScanner *sc, int pos)
{
	const char *s = sc->s;

	if (sc->prev == RP_TOK_WORD || sc->prev == RP_TOK_IDENT ||
		sc->prev == RP_TOK_CONST || sc->prev == RP_TOK_PARAM ||
		sc->prev == RP_TOK_CLOSE || sc->prev == RP_TOK_IN_LIST ||
		sc->prev == RP_TOK_ARRAY_LIST)
		return false;
	pos++;
	return pos < sc->len &&
		(rp_is_digit((unsigned char) s[pos]) ||
		 (s[pos] == '.' && pos + 1 < sc->len &&
		  rp_is_digit((unsigned char) s[pos + 1])));
}

/* One raw token, without folding constant lists */
static void
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
	if (rp_is_ident_start(c))
	{
		int			end = pos + 1;

		/* E'..', B'..', X'..', N'..' are literals, not a word and a string */
		if (end < len && s[end] == '\'' && strchr("eEbBxXnN", c) != NULL)
		{
			tok->kind = RP_TOK_CONST;
			end = rp_skip_quoted(s, len, end, '\'', c == 'e' || c == 'E');
		}
		else
		{
			while (end < len && rp_is_ident_char((unsigned char) s[end]))
				end++;
			tok->kind = RP_TOK_WORD;
		}
		pos = end;
	}
	else if (rp_is_digit(c) ||
			 (c == '.' && pos + 1 < len &&
			  rp_is_digit((unsigned char) s[pos + 1])))
	{
		tok->kind = RP_TOK_CONST;
		pos = rp_skip_number(s, len, pos);
	}
	else if ((c == '-' || c == '+') && rp_sign_starts_number(sc, pos))
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
	else if (rp_is_op_char(c))
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
	return tok->len == kwlen &&
		pg_strncasecmp(sc->s + tok->start, keyword, kwlen) == 0;
}

/*
 * The next token.  "IN (constants)" and "ARRAY[constants]" come back as
 * one token each, whatever the number of constants: PostgreSQL turns both
 * into "= ANY (array)", so they are hashed as that.
 */
static void
rp_next_token(RpScanner *sc, RpToken *tok)
{
	rp_lex(sc, tok);
	if (tok->kind == RP_TOK_WORD)
	{
		if (rp_word_is(sc, tok, "in", 2) &&
			rp_fold_const_list(sc, '(', &tok->bracket))
			tok->kind = RP_TOK_IN_LIST;
		else if (rp_word_is(sc, tok, "array", 5) &&
				 rp_fold_const_list(sc, '[', &tok->bracket))
			tok->kind = RP_TOK_ARRAY_LIST;
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

const char *
rp_statement_text(const char *source, PlannedStmt *stmt, int *len)
{
	int			location = stmt->stmt_location;
	int			length = stmt->stmt_len;

	/* an unknown location means the whole string is this statement */
	if (location < 0)
	{
		location = 0;
		length = 0;
	}
	/* a zero length means "to the end of the string" */
	if (length <= 0)
		length = strlen(source + location);

	*len = length;
	return source + location;
}

static void
rp_hash_flush(RpHashState *hs)
{
	hs->hash = hash_bytes_extended(hs->buf, hs->used, hs->hash);
	hs->used = 0;
}

/* Feed bytes to the hash, lower-casing ASCII letters when asked */
static void
rp_hash_feed(RpHashState *hs, const char *p, int n, bool lower)
{
	while (n > 0)
	{
		int			room = RP_HASH_CHUNK - hs->used;
		int			take = Min(n, room);
		unsigned char *dst = hs->buf + hs->used;
		int			i;

		if (lower)
		{
			for (i = 0; i < take; i++)
			{
				unsigned char c = (unsigned char) p[i];

				dst[i] = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
			}
		}
		else
			memcpy(dst, p, take);
		hs->used += take;
		p += take;
		n -= take;
		if (hs->used == RP_HASH_CHUNK)
			rp_hash_flush(hs);
	}
}

uint64
rp_fingerprint(const char *text, int len)
{
	RpScanner	sc;
	RpToken		tok;
	RpHashState hs;

	hs.hash = 0;
	hs.used = 0;
	rp_scanner_init(&sc, text, len);
	for (;;)
	{
		rp_next_token(&sc, &tok);
		if (tok.kind == RP_TOK_END)
			break;

		switch (tok.kind)
		{
			case RP_TOK_CONST:
			case RP_TOK_PARAM:
			case RP_TOK_ARRAY_LIST:
				rp_hash_feed(&hs, "? ", 2, false);
				break;
			case RP_TOK_IN_LIST:
				/* the same as "= ANY (constant)" */
				rp_hash_feed(&hs, "= any ( ? ) ", 12, false);
				break;
			case RP_TOK_SEMICOLON:
				break;
			default:
				rp_hash_feed(&hs, sc.s + tok.start, tok.len,
							 tok.kind == RP_TOK_WORD);
				rp_hash_feed(&hs, " ", 1, false);
				break;
		}
	}
	if (hs.used > 0 || hs.hash == 0)
		rp_hash_flush(&hs);

	/* 0 means "no fingerprint" to the callers */
	return hs.hash != 0 ? hs.hash : 1;
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
