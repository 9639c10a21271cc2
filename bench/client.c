/*
 * bench/client.c: the client side of bench/run.sh.
 *
 * Fetches the blog graph of bench/lib.sh (bench_fetch_sql) the way one kind
 * of application would, over a libpq connection (TCP on 127.0.0.1 in
 * bench/run.sh), and builds the same nested structure in memory every time:
 * posts, each with its author (and the author's country), its comments and
 * its active tags. The time taken is from sending the first statement to
 * having that structure built, by clock_gettime(CLOCK_MONOTONIC). Every
 * value received is read (its length added to a byte count) and kept in
 * the structure; after the clock stops, a checksum of the structure (counts,
 * keys, the bytes of every text value) shows that every strategy built the
 * same thing.
 *
 * Strategies (SQL from the folder given with -s):
 *   fetch_json      W-rp.sql: one statement, one JSON object per post, parsed
 *   hand            W-hand.sql: the same JSON from hand-written SQL
 *   postgrest       W-pgrst.sql: the same JSON, PostgREST's SQL
 *   fetch_children  W-fc.1-comments.sql (posts with comment arrays),
 *                   W-fc.2-tags.sql (post ids with tag arrays), and
 *                   W-fc.3-authors.sql (a join for the to-one relations):
 *                   three statements, merged by key; typed rows, whose
 *                   arrays of records are parsed from their text form
 *   prefetch        W-posts.sql, then pf-authors, pf-countries, pf-tags,
 *                   pf-comments with the keys gathered so far as an array
 *                   parameter, merged by key (Django's prefetch_related)
 *   n_plus_1        W-posts.sql, then per post the prepared statements
 *                   n1-author, n1-country (when the author has one),
 *                   n1-tags, n1-comments (an ORM's lazy loading)
 *
 * Usage:
 *   client -d CONNINFO -s SQLDIR -w A|B [-r ROUNDS] [-c STRATEGY=N]...
 *          [-n POSTS] STRATEGY...
 *     Opens one connection per strategy, runs each once untimed (warm-up:
 *     caches, fetch_json's plans; n_plus_1 only for its first POSTS posts,
 *     default 100), then ROUNDS rounds (default 1); round r runs the
 *     strategies in the order given, rotated by r - 1. -c caps a strategy
 *     to the first N rounds. One line per execution, round 0 the warm-up:
 *       ROUND STRATEGY MS POSTS COMMENTS TAGS AUTHORS COUNTRIES HASH QUERIES BYTES
 *     HASH covers everything but the timestamps (their text differs between
 *     JSON and PostgreSQL's output); for the page (B) it covers the posts'
 *     order too.
 *
 * The memory measurement of section 3 is bench/memsample.c.
 *
 * Build: gcc -O2 -I$(pg_config --includedir) client.c -L$(pg_config --libdir) -lpq
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#define PROGNAME "client"
#include "common.h"

/* ---------------------------------------------------------------------- */
/* An arena: everything one execution builds, freed at once afterwards. */

typedef struct Chunk
{
	struct Chunk *next;
	size_t		used,
				size;
	char		data[];
} Chunk;

static Chunk *arena;

static void *
amalloc(size_t n)
{
	void	   *p;

	n = (n + 7) & ~(size_t) 7;
	if (!arena || arena->used + n > arena->size)
	{
		size_t		size = n > (1 << 20) ? n : (1 << 20);
		Chunk	   *c = malloc(sizeof(Chunk) + size);

		if (!c)
			die("out of memory");
		c->next = arena;
		c->used = 0;
		c->size = size;
		arena = c;
	}
	p = arena->data + arena->used;
	arena->used += n;
	return p;
}

static void *
azalloc(size_t n)
{
	return memset(amalloc(n), 0, n);
}

static void
areset(void)
{
	while (arena)
	{
		Chunk	   *next = arena->next;

		free(arena);
		arena = next;
	}
}

/* ---------------------------------------------------------------------- */
/* The nested structure every strategy builds. */

typedef struct
{
	const char *p;
	int			len;
} Str;

typedef struct Country
{
	int64_t		id;
	Str			name,
				code;
} Country;

typedef struct Author
{
	int64_t		id;
	Str			name;
	bool		has_country;
	int64_t		country_id;
	Country    *country;
} Author;

typedef struct Comment
{
	struct Comment *next;
	int64_t		id,
				post_id;
	bool		has_parent;
	int64_t		parent_id;
	Str			author_name,
				body,
				created;
} Comment;

typedef struct Tag
{
	struct Tag *next;
	int64_t		id;
	Str			name;
	bool		active;
} Tag;

typedef struct Post
{
	int64_t		id;
	Str			title,
				body,
				published;
	int64_t		author_id;
	Author	   *author;
	Comment    *comments,
			   *comments_tail;
	Tag		   *tags,
			   *tags_tail;
} Post;

typedef struct
{
	Post	   *posts;
	long		n_posts;
	long		queries;
	long long	bytes;
} Graph;

static void
add_comment(Post *p, Comment *c)
{
	c->next = NULL;
	if (p->comments_tail)
		p->comments_tail->next = c;
	else
		p->comments = c;
	p->comments_tail = c;
}

static void
add_tag(Post *p, Tag *t)
{
	t->next = NULL;
	if (p->tags_tail)
		p->tags_tail->next = t;
	else
		p->tags = t;
	p->tags_tail = t;
}

/* ---------------------------------------------------------------------- */
/* A hash map from bigint keys to pointers (open addressing, in the arena). */

typedef struct
{
	int64_t    *keys;
	void	  **vals;
	size_t		mask;
} Map;

static void
map_init(Map *m, size_t expected)
{
	size_t		size = 16;

	while (size < expected * 2)
		size <<= 1;
	m->keys = amalloc(size * sizeof(int64_t));
	m->vals = azalloc(size * sizeof(void *));
	m->mask = size - 1;
}

static size_t
map_slot(const Map *m, int64_t key)
{
	size_t		i = (size_t) (((uint64_t) key * 0x9E3779B97F4A7C15ULL) >> 17) & m->mask;

	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static void *
map_get(const Map *m, int64_t key)
{
	return m->vals[map_slot(m, key)];
}

/* Stores val under key, replacing what was there. */
static void
map_set(Map *m, int64_t key, void *val)
{
	size_t		i = map_slot(m, key);

	m->keys[i] = key;
	m->vals[i] = val;
}

/* Stores val under key unless the key is there; returns true if it was new. */
static bool
map_put(Map *m, int64_t key, void *val)
{
	size_t		i = map_slot(m, key);

	if (m->vals[i])
		return false;
	m->keys[i] = key;
	m->vals[i] = val;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Values of PostgreSQL's text output. */

static int64_t
parse_i64(const char *s, int len)
{
	int64_t		v = 0;
	int			i = 0;
	bool		neg = false;

	if (len > 0 && s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i >= len)
		die("not an integer: '%.*s'", len, s);
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			die("not an integer: '%.*s'", len, s);
		v = v * 10 + (s[i] - '0');
	}
	return neg ? -v : v;
}

/* Column col of row i, counted in g->bytes. */
static Str
col(Graph *g, const PGresult *r, int i, int c)
{
	Str			s;

	s.p = PQgetvalue(r, i, c);
	s.len = PQgetlength(r, i, c);
	g->bytes += s.len;
	return s;
}

static int64_t
col_i64(Graph *g, const PGresult *r, int i, int c)
{
	Str			s = col(g, r, i, c);

	return parse_i64(s.p, s.len);
}

static Str
copy_str(Str s)
{
	char	   *p = amalloc(s.len + 1);

	memcpy(p, s.p, s.len);
	s.p = p;
	return s;
}

/*
 * The text form of an array of records, as in {"(1,2,,\"a b\")","(3,...)"}:
 * array elements are double-quoted when they need it, with backslash
 * escapes; record fields are double-quoted when they need it, with "" or a
 * backslash for a quote; an empty unquoted field is NULL. Both levels are
 * unescaped in place.
 */
#define MAX_FIELDS 8

typedef struct
{
	Str			f[MAX_FIELDS];
	bool		null[MAX_FIELDS];
	int			n;
} Record;

/* Next element of the array at *pp (after '{' or ','); false at the end. */
static bool
array_next(char **pp, Str *elem)
{
	char	   *p = *pp;

	if (*p == '{')
		p++;
	else if (*p == ',')
		p++;
	if (*p == '}')
		return false;
	if (*p == '"')
	{
		char	   *w = ++p;

		elem->p = w;
		while (*p != '"')
		{
			if (*p == '\\')
				p++;
			if (!*p)
				die("unterminated array element");
			*w++ = *p++;
		}
		elem->len = w - elem->p;
		p++;
	}
	else
	{
		elem->p = p;
		while (*p != ',' && *p != '}')
		{
			if (!*p)
				die("unterminated array");
			p++;
		}
		elem->len = p - elem->p;
		if (elem->len == 4 && memcmp(elem->p, "NULL", 4) == 0)
			die("NULL element in an array of records");
	}
	*pp = p;
	return true;
}

static void
parse_record(Str s, Record *rec)
{
	char	   *p = (char *) s.p,
			   *end = p + s.len;

	if (s.len < 2 || *p != '(' || end[-1] != ')')
		die("not a record: '%.*s'", s.len, s.p);
	p++;
	end--;
	rec->n = 0;
	for (;;)
	{
		Str		   *f;

		if (rec->n == MAX_FIELDS)
			die("record with too many fields");
		f = &rec->f[rec->n];
		rec->null[rec->n] = false;
		if (p < end && *p == '"')
		{
			char	   *w = ++p;

			f->p = w;
			for (;;)
			{
				if (p >= end)
					die("unterminated record field");
				if (*p == '"')
				{
					if (p + 1 < end && p[1] == '"')
					{
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\\')
					p++;
				*w++ = *p++;
			}
			f->len = w - f->p;
		}
		else
		{
			f->p = p;
			while (p < end && *p != ',')
				p++;
			f->len = p - f->p;
			rec->null[rec->n] = (f->len == 0);
		}
		rec->n++;
		if (p >= end)
			break;
		if (*p != ',')
			die("bad record: '%.*s'", s.len, s.p);
		p++;
	}
}

/* ---------------------------------------------------------------------- */
/* JSON, parsed into the structure (strings unescaped in place). */

typedef struct
{
	char	   *p,
			   *end;
} J;

static void
jws(J *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool
jpeek(J *j, char c)
{
	jws(j);
	return j->p < j->end && *j->p == c;
}

static void
jexpect(J *j, char c)
{
	if (!jpeek(j, c))
		die("JSON: expected '%c' at '%.20s'", c, j->p);
	j->p++;
}

static bool
jnull(J *j)
{
	jws(j);
	if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0)
	{
		j->p += 4;
		return true;
	}
	return false;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	die("JSON: bad \\u escape");
	return 0;
}

static unsigned
jhex4(J *j)
{
	unsigned	v = 0;

	if (j->end - j->p < 4)
		die("JSON: short \\u escape");
	for (int i = 0; i < 4; i++)
		v = v * 16 + hexval(*j->p++);
	return v;
}

static char *
put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80)
		*w++ = cp;
	else if (cp < 0x800)
	{
		*w++ = 0xC0 | (cp >> 6);
		*w++ = 0x80 | (cp & 0x3F);
	}
	else if (cp < 0x10000)
	{
		*w++ = 0xE0 | (cp >> 12);
		*w++ = 0x80 | ((cp >> 6) & 0x3F);
		*w++ = 0x80 | (cp & 0x3F);
	}
	else
	{
		*w++ = 0xF0 | (cp >> 18);
		*w++ = 0x80 | ((cp >> 12) & 0x3F);
		*w++ = 0x80 | ((cp >> 6) & 0x3F);
		*w++ = 0x80 | (cp & 0x3F);
	}
	return w;
}

static Str
jstring(J *j)
{
	Str			s;
	char	   *w;

	jexpect(j, '"');
	s.p = w = j->p;
	for (;;)
	{
		char		c;

		if (j->p >= j->end)
			die("JSON: unterminated string");
		c = *j->p++;
		if (c == '"')
			break;
		if (c != '\\')
		{
			*w++ = c;
			continue;
		}
		if (j->p >= j->end)
			die("JSON: unterminated string");
		c = *j->p++;
		switch (c)
		{
			case 'b':
				*w++ = '\b';
				break;
			case 'f':
				*w++ = '\f';
				break;
			case 'n':
				*w++ = '\n';
				break;
			case 'r':
				*w++ = '\r';
				break;
			case 't':
				*w++ = '\t';
				break;
			case 'u':
				{
					unsigned	cp = jhex4(j);

					if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 &&
						j->p[0] == '\\' && j->p[1] == 'u')
					{
						unsigned	lo;

						j->p += 2;
						lo = jhex4(j);
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					w = put_utf8(w, cp);
					break;
				}
			default:
				*w++ = c;		/* \" \\ \/ */
		}
	}
	s.len = w - s.p;
	return s;
}

static int64_t
jint(J *j)
{
	char	   *start;

	jws(j);
	start = j->p;
	if (j->p < j->end && *j->p == '-')
		j->p++;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return parse_i64(start, j->p - start);
}

static bool
jbool(J *j)
{
	jws(j);
	if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0)
	{
		j->p += 4;
		return true;
	}
	if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0)
	{
		j->p += 5;
		return false;
	}
	die("JSON: expected a boolean at '%.20s'", j->p);
	return false;
}

static bool
keyis(Str k, const char *name)
{
	return (size_t) k.len == strlen(name) && memcmp(k.p, name, k.len) == 0;
}

/* Iterates over the members of an object: JOBJ(j, key) { ... value ... } */
static bool
jmember(J *j, bool *first, Str *key)
{
	if (*first)
	{
		*first = false;
		jexpect(j, '{');
		if (jpeek(j, '}'))
		{
			j->p++;
			return false;
		}
	}
	else
	{
		if (jpeek(j, '}'))
		{
			j->p++;
			return false;
		}
		jexpect(j, ',');
	}
	*key = jstring(j);
	jexpect(j, ':');
	return true;
}

/* The same for the elements of an array. */
static bool
jelement(J *j, bool *first)
{
	if (*first)
	{
		*first = false;
		jexpect(j, '[');
		if (jpeek(j, ']'))
		{
			j->p++;
			return false;
		}
		return true;
	}
	if (jpeek(j, ']'))
	{
		j->p++;
		return false;
	}
	jexpect(j, ',');
	return true;
}

static Country *
json_country(J *j)
{
	Country    *c;
	bool		first = true;
	Str			k;

	if (jnull(j))
		return NULL;
	c = azalloc(sizeof(Country));
	while (jmember(j, &first, &k))
	{
		if (keyis(k, "id"))
			c->id = jint(j);
		else if (keyis(k, "name"))
			c->name = jstring(j);
		else if (keyis(k, "code"))
			c->code = jstring(j);
		else
			die("JSON: unexpected key '%.*s' in a country", k.len, k.p);
	}
	return c;
}

static Author *
json_author(J *j)
{
	Author	   *a;
	bool		first = true;
	Str			k;

	if (jnull(j))
		return NULL;
	a = azalloc(sizeof(Author));
	while (jmember(j, &first, &k))
	{
		if (keyis(k, "id"))
			a->id = jint(j);
		else if (keyis(k, "name"))
			a->name = jstring(j);
		else if (keyis(k, "country_id"))
		{
			a->has_country = !jnull(j);
			if (a->has_country)
				a->country_id = jint(j);
		}
		else if (keyis(k, "country"))
			a->country = json_country(j);
		else
			die("JSON: unexpected key '%.*s' in an author", k.len, k.p);
	}
	return a;
}

static Comment *
json_comment(J *j)
{
	Comment    *c = azalloc(sizeof(Comment));
	bool		first = true;
	Str			k;

	while (jmember(j, &first, &k))
	{
		if (keyis(k, "id"))
			c->id = jint(j);
		else if (keyis(k, "post_id"))
			c->post_id = jint(j);
		else if (keyis(k, "parent_id"))
		{
			c->has_parent = !jnull(j);
			if (c->has_parent)
				c->parent_id = jint(j);
		}
		else if (keyis(k, "author_name"))
			c->author_name = jstring(j);
		else if (keyis(k, "body"))
			c->body = jstring(j);
		else if (keyis(k, "created"))
			c->created = jstring(j);
		else
			die("JSON: unexpected key '%.*s' in a comment", k.len, k.p);
	}
	return c;
}

static Tag *
json_tag(J *j)
{
	Tag		   *t = azalloc(sizeof(Tag));
	bool		first = true;
	Str			k;

	while (jmember(j, &first, &k))
	{
		if (keyis(k, "id"))
			t->id = jint(j);
		else if (keyis(k, "name"))
			t->name = jstring(j);
		else if (keyis(k, "active"))
			t->active = jbool(j);
		else
			die("JSON: unexpected key '%.*s' in a tag", k.len, k.p);
	}
	return t;
}

static void
json_post(char *s, int len, Post *p)
{
	J			j = {s, s + len};
	bool		first = true,
				efirst;
	Str			k;

	memset(p, 0, sizeof(Post));
	while (jmember(&j, &first, &k))
	{
		if (keyis(k, "id"))
			p->id = jint(&j);
		else if (keyis(k, "title"))
			p->title = jstring(&j);
		else if (keyis(k, "body"))
			p->body = jstring(&j);
		else if (keyis(k, "author_id"))
			p->author_id = jint(&j);
		else if (keyis(k, "published"))
			p->published = jstring(&j);
		else if (keyis(k, "author"))
			p->author = json_author(&j);
		else if (keyis(k, "comments"))
		{
			efirst = true;
			while (jelement(&j, &efirst))
				add_comment(p, json_comment(&j));
		}
		else if (keyis(k, "active_tags"))
		{
			efirst = true;
			while (jelement(&j, &efirst))
				add_tag(p, json_tag(&j));
		}
		else
			die("JSON: unexpected key '%.*s' in a post", k.len, k.p);
	}
	jws(&j);
	if (j.p != j.end)
		die("JSON: trailing characters after a post");
}

/* ---------------------------------------------------------------------- */
/* Connections and statements. */

typedef enum
{
	S_FETCH_JSON,
	S_HAND,
	S_POSTGREST,
	S_FETCH_CHILDREN,
	S_PREFETCH,
	S_N_PLUS_1,
	S_COUNT
} StrategyId;

static const char *const strategy_names[S_COUNT] = {
	"fetch_json", "hand", "postgrest", "fetch_children", "prefetch", "n_plus_1"
};

static const char *sqldir;
static char workload = 'A';
static int	warmup_posts = 100;

/* Result sets kept alive while the structure points into them. */
static PGresult **held;
static int	n_held,
			max_held;

static void
hold(PGresult *r)
{
	if (n_held == max_held)
	{
		max_held = max_held ? 2 * max_held : 16;
		held = realloc(held, max_held * sizeof(PGresult *));
		if (!held)
			die("out of memory");
	}
	held[n_held++] = r;
}

static void
release_all(void)
{
	for (int i = 0; i < n_held; i++)
		PQclear(held[i]);
	n_held = 0;
	areset();
}

static char *
sql_file(const char *name)
{
	char		path[4096];

	snprintf(path, sizeof(path), "%s/%s", sqldir, name);
	return read_file(path);
}

static char *
wl_sql_file(const char *suffix)
{
	char		name[256];

	snprintf(name, sizeof(name), "%c-%s", workload, suffix);
	return sql_file(name);
}

static PGresult *
check(PGconn *conn, PGresult *r, const char *what)
{
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s failed: %s", what, PQerrorMessage(conn));
	return r;
}

static PGresult *
exec_sql(Graph *g, PGconn *conn, const char *sql, const char *what)
{
	g->queries++;
	return check(conn, PQexec(conn, sql), what);
}

static PGresult *
exec_array(Graph *g, PGconn *conn, const char *sql, const char *arr, const char *what)
{
	const char *params[1] = {arr};

	g->queries++;
	return check(conn, PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0), what);
}

static PGresult *
exec_prepared(Graph *g, PGconn *conn, const char *name, int64_t key)
{
	char		buf[32];
	const char *params[1] = {buf};

	snprintf(buf, sizeof(buf), "%" PRId64, key);
	g->queries++;
	return check(conn, PQexecPrepared(conn, name, 1, params, NULL, NULL, 0), name);
}

typedef struct
{
	StrategyId	id;
	PGconn	   *conn;
	char	   *sql[3];			/* the statements it sends as they are */
	char	   *pf[4];			/* prefetch: authors, countries, tags,
								 * comments */
	int			cap;			/* last round it runs in */
} Strategy;

static void
setup_strategy(Strategy *s, const char *conninfo)
{
	s->conn = connect_db(conninfo);
	switch (s->id)
	{
		case S_FETCH_JSON:
			s->sql[0] = wl_sql_file("rp.sql");
			break;
		case S_HAND:
			s->sql[0] = wl_sql_file("hand.sql");
			break;
		case S_POSTGREST:
			s->sql[0] = wl_sql_file("pgrst.sql");
			break;
		case S_FETCH_CHILDREN:
			s->sql[0] = wl_sql_file("fc.1-comments.sql");
			s->sql[1] = wl_sql_file("fc.2-tags.sql");
			s->sql[2] = wl_sql_file("fc.3-authors.sql");
			break;
		case S_PREFETCH:
			s->sql[0] = wl_sql_file("posts.sql");
			s->pf[0] = sql_file("pf-authors.sql");
			s->pf[1] = sql_file("pf-countries.sql");
			s->pf[2] = sql_file("pf-tags.sql");
			s->pf[3] = sql_file("pf-comments.sql");
			break;
		case S_N_PLUS_1:
			{
				static const char *const names[4] = {"author", "country", "tags", "comments"};

				s->sql[0] = wl_sql_file("posts.sql");
				for (int i = 0; i < 4; i++)
				{
					char		file[64];
					char	   *sql;
					PGresult   *r;

					snprintf(file, sizeof(file), "n1-%s.sql", names[i]);
					sql = sql_file(file);
					r = PQprepare(s->conn, names[i], sql, 0, NULL);
					if (PQresultStatus(r) != PGRES_COMMAND_OK)
						die("preparing %s failed: %s", file, PQerrorMessage(s->conn));
					PQclear(r);
					free(sql);
				}
				break;
			}
		default:
			die("unknown strategy");
	}
}

/* ---------------------------------------------------------------------- */
/* The strategies. Each fills g; the posts are in the order of the page for
 * workload B. */

static void
run_json(Strategy *s, Graph *g)
{
	PGresult   *r = exec_sql(g, s->conn, s->sql[0], strategy_names[s->id]);

	hold(r);
	if (PQnfields(r) != 1)
		die("%s: expected one column", strategy_names[s->id]);
	g->n_posts = PQntuples(r);
	g->posts = amalloc(g->n_posts * sizeof(Post));
	for (long i = 0; i < g->n_posts; i++)
	{
		Str			v = col(g, r, i, 0);

		json_post((char *) v.p, v.len, &g->posts[i]);
	}
}

/* Row i of a result with the post's columns from column 0 on. */
static void
post_from_row(Graph *g, const PGresult *r, int i, Post *p)
{
	memset(p, 0, sizeof(Post));
	p->id = col_i64(g, r, i, 0);
	p->title = col(g, r, i, 1);
	p->body = col(g, r, i, 2);
	p->author_id = col_i64(g, r, i, 3);
	p->published = col(g, r, i, 4);
}

static Comment *
comment_from_fields(Str *f, bool *null)
{
	Comment    *c = azalloc(sizeof(Comment));

	c->id = parse_i64(f[0].p, f[0].len);
	c->post_id = parse_i64(f[1].p, f[1].len);
	c->has_parent = !null[2];
	if (c->has_parent)
		c->parent_id = parse_i64(f[2].p, f[2].len);
	c->author_name = f[3];
	c->body = f[4];
	c->created = f[5];
	return c;
}

static Tag *
tag_from_fields(Str *f)
{
	Tag		   *t = azalloc(sizeof(Tag));

	t->id = parse_i64(f[0].p, f[0].len);
	t->name = f[1];
	if (f[2].len != 1 || (f[2].p[0] != 't' && f[2].p[0] != 'f'))
		die("not a boolean: '%.*s'", f[2].len, f[2].p);
	t->active = f[2].p[0] == 't';
	return t;
}

static int
cmp_page(const void *a, const void *b)
{
	const Post *x = a,
			   *y = b;
	int			n = x->published.len < y->published.len ? x->published.len : y->published.len;
	int			c = memcmp(y->published.p, x->published.p, n);

	if (c == 0)
		c = y->published.len - x->published.len;
	if (c == 0)
		c = (y->id > x->id) - (y->id < x->id);
	return c;
}

static void
run_fetch_children(Strategy *s, Graph *g)
{
	PGresult   *r;
	Map			posts,
				authors;
	Record		rec;

	/* 1: the posts, each with its comments */
	r = exec_sql(g, s->conn, s->sql[0], "fetch_children (comments)");
	hold(r);
	if (PQnfields(r) != 6)
		die("fetch_children (comments): expected 6 columns");
	g->n_posts = PQntuples(r);
	g->posts = amalloc(g->n_posts * sizeof(Post));
	map_init(&posts, g->n_posts);
	for (long i = 0; i < g->n_posts; i++)
	{
		Post	   *p = &g->posts[i];
		Str			arr = col(g, r, i, 5);
		char	   *a = (char *) arr.p;
		Str			e;

		post_from_row(g, r, i, p);
		if (!map_put(&posts, p->id, p))
			die("fetch_children: post %" PRId64 " twice", p->id);
		while (array_next(&a, &e))
		{
			parse_record(e, &rec);
			if (rec.n != 6)
				die("fetch_children: a comment record has %d fields", rec.n);
			add_comment(p, comment_from_fields(rec.f, rec.null));
		}
	}

	/* 2: the active tags of each post */
	r = exec_sql(g, s->conn, s->sql[1], "fetch_children (tags)");
	hold(r);
	if (PQnfields(r) != 2)
		die("fetch_children (tags): expected 2 columns");
	for (int i = 0; i < PQntuples(r); i++)
	{
		Post	   *p = map_get(&posts, col_i64(g, r, i, 0));
		Str			arr = col(g, r, i, 1);
		char	   *a = (char *) arr.p;
		Str			e;

		if (!p)
			die("fetch_children (tags): a post the first call did not return");
		while (array_next(&a, &e))
		{
			parse_record(e, &rec);
			if (rec.n != 3)
				die("fetch_children: a tag record has %d fields", rec.n);
			add_tag(p, tag_from_fields(rec.f));
		}
	}

	/* 3: the authors of those posts, with their countries */
	r = exec_sql(g, s->conn, s->sql[2], "fetch_children (authors)");
	hold(r);
	if (PQnfields(r) != 6)
		die("fetch_children (authors): expected 6 columns");
	map_init(&authors, PQntuples(r));
	for (int i = 0; i < PQntuples(r); i++)
	{
		Author	   *a = azalloc(sizeof(Author));

		a->id = col_i64(g, r, i, 0);
		a->name = col(g, r, i, 1);
		a->has_country = !PQgetisnull(r, i, 2);
		if (a->has_country)
			a->country_id = col_i64(g, r, i, 2);
		if (!PQgetisnull(r, i, 3))
		{
			a->country = azalloc(sizeof(Country));
			a->country->id = col_i64(g, r, i, 3);
			a->country->name = col(g, r, i, 4);
			a->country->code = col(g, r, i, 5);
		}
		map_put(&authors, a->id, a);
	}
	for (long i = 0; i < g->n_posts; i++)
		g->posts[i].author = map_get(&authors, g->posts[i].author_id);

	/* fetch_children has no parent order: the page is sorted here */
	if (workload == 'B')
		qsort(g->posts, g->n_posts, sizeof(Post), cmp_page);
}

/* An array literal of keys, {1,2,3}, built in the arena. */
typedef struct
{
	char	   *buf;
	size_t		len,
				cap;
} ArrayLit;

static void
alit_reserve(ArrayLit *a, size_t n)
{
	if (a->cap - a->len < n)
	{
		size_t		cap = a->cap ? 2 * a->cap : 4096;
		char	   *buf = amalloc(cap);

		if (a->len)
			memcpy(buf, a->buf, a->len);
		a->buf = buf;
		a->cap = cap;
	}
}

static void
alit_add(ArrayLit *a, int64_t key)
{
	alit_reserve(a, 24);
	a->len += sprintf(a->buf + a->len, "%c%" PRId64, a->len ? ',' : '{', key);
}

static const char *
alit_end(ArrayLit *a)
{
	if (a->len == 0)
		return "{}";
	alit_reserve(a, 2);
	a->buf[a->len++] = '}';
	a->buf[a->len] = '\0';
	return a->buf;
}

static void
run_prefetch(Strategy *s, Graph *g)
{
	PGresult   *r;
	Map			posts,
				authors,
				countries;
	ArrayLit	post_ids = {0},
				author_ids = {0},
				country_ids = {0};
	int			n;

	r = exec_sql(g, s->conn, s->sql[0], "prefetch (posts)");
	hold(r);
	g->n_posts = PQntuples(r);
	g->posts = amalloc(g->n_posts * sizeof(Post));
	map_init(&posts, g->n_posts);
	map_init(&authors, g->n_posts);
	for (long i = 0; i < g->n_posts; i++)
	{
		Post	   *p = &g->posts[i];

		post_from_row(g, r, i, p);
		map_put(&posts, p->id, p);
		alit_add(&post_ids, p->id);
		/* a key seen first: marked with a placeholder until fetched */
		if (map_put(&authors, p->author_id, (void *) 1))
			alit_add(&author_ids, p->author_id);
	}

	r = exec_array(g, s->conn, s->pf[0], alit_end(&author_ids), "prefetch (authors)");
	hold(r);
	n = PQntuples(r);
	map_init(&countries, n);
	for (int i = 0; i < n; i++)
	{
		Author	   *a = azalloc(sizeof(Author));

		a->id = col_i64(g, r, i, 0);
		a->name = col(g, r, i, 1);
		a->has_country = !PQgetisnull(r, i, 2);
		if (a->has_country)
		{
			a->country_id = col_i64(g, r, i, 2);
			if (map_put(&countries, a->country_id, (void *) 1))
				alit_add(&country_ids, a->country_id);
		}
		map_set(&authors, a->id, a);
	}

	r = exec_array(g, s->conn, s->pf[1], alit_end(&country_ids), "prefetch (countries)");
	hold(r);
	for (int i = 0; i < PQntuples(r); i++)
	{
		Country    *c = azalloc(sizeof(Country));

		c->id = col_i64(g, r, i, 0);
		c->name = col(g, r, i, 1);
		c->code = col(g, r, i, 2);
		map_set(&countries, c->id, c);
	}

	alit_end(&post_ids);
	r = exec_array(g, s->conn, s->pf[2], post_ids.buf, "prefetch (tags)");
	hold(r);
	for (int i = 0; i < PQntuples(r); i++)
	{
		Post	   *p = map_get(&posts, col_i64(g, r, i, 0));
		Tag		   *t = azalloc(sizeof(Tag));
		Str			b;

		if (!p)
			die("prefetch (tags): a tag of a post not fetched");
		t->id = col_i64(g, r, i, 1);
		t->name = col(g, r, i, 2);
		b = col(g, r, i, 3);
		t->active = b.p[0] == 't';
		add_tag(p, t);
	}

	r = exec_array(g, s->conn, s->pf[3], post_ids.buf, "prefetch (comments)");
	hold(r);
	for (int i = 0; i < PQntuples(r); i++)
	{
		Comment    *c = azalloc(sizeof(Comment));
		Post	   *p;

		c->id = col_i64(g, r, i, 0);
		c->post_id = col_i64(g, r, i, 1);
		c->has_parent = !PQgetisnull(r, i, 2);
		if (c->has_parent)
			c->parent_id = col_i64(g, r, i, 2);
		c->author_name = col(g, r, i, 3);
		c->body = col(g, r, i, 4);
		c->created = col(g, r, i, 5);
		p = map_get(&posts, c->post_id);
		if (!p)
			die("prefetch (comments): a comment of a post not fetched");
		add_comment(p, c);
	}

	/* the objects fetched to the objects that refer to them */
	for (long i = 0; i < g->n_posts; i++)
	{
		Author	   *a = map_get(&authors, g->posts[i].author_id);

		if (a == (void *) 1)
			a = NULL;			/* no such author */
		if (a && a->has_country && !a->country)
		{
			a->country = map_get(&countries, a->country_id);
			if (a->country == (void *) 1)
				a->country = NULL;
		}
		g->posts[i].author = a;
	}
}

/* n_plus_1 keeps nothing of the per-row results: the values are copied
 * into the structure (as an ORM's objects hold their own strings) and each
 * result is freed at once. limit < 0: every post. */
static void
run_n_plus_1(Strategy *s, Graph *g, long limit)
{
	PGresult   *r = exec_sql(g, s->conn, s->sql[0], "n_plus_1 (posts)");

	hold(r);
	g->n_posts = PQntuples(r);
	g->posts = amalloc(g->n_posts * sizeof(Post));
	for (long i = 0; i < g->n_posts; i++)
		post_from_row(g, r, i, &g->posts[i]);
	if (limit >= 0 && limit < g->n_posts)
		g->n_posts = limit;

	for (long i = 0; i < g->n_posts; i++)
	{
		Post	   *p = &g->posts[i];
		PGresult   *q;

		q = exec_prepared(g, s->conn, "author", p->author_id);
		if (PQntuples(q) == 1)
		{
			Author	   *a = azalloc(sizeof(Author));

			a->id = col_i64(g, q, 0, 0);
			a->name = copy_str(col(g, q, 0, 1));
			a->has_country = !PQgetisnull(q, 0, 2);
			if (a->has_country)
				a->country_id = col_i64(g, q, 0, 2);
			p->author = a;
		}
		PQclear(q);

		if (p->author && p->author->has_country)
		{
			q = exec_prepared(g, s->conn, "country", p->author->country_id);
			if (PQntuples(q) == 1)
			{
				Country    *c = azalloc(sizeof(Country));

				c->id = col_i64(g, q, 0, 0);
				c->name = copy_str(col(g, q, 0, 1));
				c->code = copy_str(col(g, q, 0, 2));
				p->author->country = c;
			}
			PQclear(q);
		}

		q = exec_prepared(g, s->conn, "tags", p->id);
		for (int k = 0; k < PQntuples(q); k++)
		{
			Tag		   *t = azalloc(sizeof(Tag));
			Str			b;

			t->id = col_i64(g, q, k, 0);
			t->name = copy_str(col(g, q, k, 1));
			b = col(g, q, k, 2);
			t->active = b.p[0] == 't';
			add_tag(p, t);
		}
		PQclear(q);

		q = exec_prepared(g, s->conn, "comments", p->id);
		for (int k = 0; k < PQntuples(q); k++)
		{
			Comment    *c = azalloc(sizeof(Comment));

			c->id = col_i64(g, q, k, 0);
			c->post_id = col_i64(g, q, k, 1);
			c->has_parent = !PQgetisnull(q, k, 2);
			if (c->has_parent)
				c->parent_id = col_i64(g, q, k, 2);
			c->author_name = copy_str(col(g, q, k, 3));
			c->body = copy_str(col(g, q, k, 4));
			c->created = copy_str(col(g, q, k, 5));
			add_comment(p, c);
		}
		PQclear(q);
	}
}

/* ---------------------------------------------------------------------- */
/* The checksum of a structure. */

typedef struct
{
	long		posts,
				comments,
				tags,
				authors,
				countries;
	uint64_t	hash;
} Sum;

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
	return h * 0xFF51AFD7ED558CCDULL;
}

static uint64_t
mix_str(uint64_t h, Str s)
{
	uint64_t	f = 0xCBF29CE484222325ULL;	/* FNV-1a */

	for (int i = 0; i < s.len; i++)
		f = (f ^ (unsigned char) s.p[i]) * 0x100000001B3ULL;
	return mix(mix(h, s.len), f);
}

static Sum
checksum(const Graph *g, bool ordered)
{
	Sum			sum = {0};

	for (long i = 0; i < g->n_posts; i++)
	{
		const Post *p = &g->posts[i];
		uint64_t	h = 0;

		h = mix(h, p->id);
		h = mix_str(h, p->title);
		h = mix_str(h, p->body);
		h = mix(h, p->author_id);
		if (p->author)
		{
			const Author *a = p->author;

			sum.authors++;
			h = mix(h, a->id);
			h = mix_str(h, a->name);
			h = mix(h, a->has_country ? (uint64_t) a->country_id : (uint64_t) -1);
			if (a->country)
			{
				sum.countries++;
				h = mix(h, a->country->id);
				h = mix_str(h, a->country->name);
				h = mix_str(h, a->country->code);
			}
			else
				h = mix(h, (uint64_t) -2);
		}
		else
			h = mix(h, (uint64_t) -3);
		for (const Comment *c = p->comments; c; c = c->next)
		{
			sum.comments++;
			h = mix(h, c->id);
			h = mix(h, c->post_id);
			h = mix(h, c->has_parent ? c->parent_id : 0);
			h = mix_str(h, c->author_name);
			h = mix_str(h, c->body);
		}
		h = mix(h, (uint64_t) -4);
		for (const Tag *t = p->tags; t; t = t->next)
		{
			sum.tags++;
			h = mix(h, t->id);
			h = mix_str(h, t->name);
			h = mix(h, t->active);
		}
		sum.posts++;
		sum.hash += ordered ? h * (uint64_t) (i + 1) : h;
	}
	return sum;
}

/* ---------------------------------------------------------------------- */
/* Rounds. */

static void
run_once(Strategy *s, int round)
{
	Graph		g = {0};
	double		t0,
				ms;
	Sum			sum;

	t0 = now_ms();
	switch (s->id)
	{
		case S_FETCH_JSON:
		case S_HAND:
		case S_POSTGREST:
			run_json(s, &g);
			break;
		case S_FETCH_CHILDREN:
			run_fetch_children(s, &g);
			break;
		case S_PREFETCH:
			run_prefetch(s, &g);
			break;
		case S_N_PLUS_1:
			run_n_plus_1(s, &g, round == 0 ? warmup_posts : -1);
			break;
		default:
			die("unknown strategy");
	}
	ms = now_ms() - t0;
	sum = checksum(&g, workload == 'B');
	printf("%d %s %.3f %ld %ld %ld %ld %ld %016" PRIx64 " %ld %lld\n",
		   round, strategy_names[s->id], ms, sum.posts, sum.comments, sum.tags,
		   sum.authors, sum.countries, sum.hash, g.queries, g.bytes);
	fflush(stdout);
	release_all();
}

/* ---------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
			"usage: client -d CONNINFO -s SQLDIR -w A|B [-r ROUNDS] [-c STRATEGY=N]... [-n POSTS] STRATEGY...\n"
			"strategies: fetch_json hand postgrest fetch_children prefetch n_plus_1\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conninfo = NULL;
	int			rounds = 1,
				opt,
				k = 0;
	Strategy	strategies[S_COUNT];
	char	   *caps[S_COUNT * 4];
	int			n_caps = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "d:s:w:r:c:n:h")) != -1)
	{
		switch (opt)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 's':
				sqldir = optarg;
				break;
			case 'w':
				if (strcmp(optarg, "A") != 0 && strcmp(optarg, "B") != 0)
					usage();
				workload = optarg[0];
				break;
			case 'r':
				rounds = atoi(optarg);
				break;
			case 'c':
				if (n_caps == S_COUNT * 4)
					usage();
				caps[n_caps++] = optarg;
				break;
			case 'n':
				warmup_posts = atoi(optarg);
				break;
			default:
				usage();
		}
	}
	if (!conninfo)
		usage();
	if (!sqldir || optind == argc || rounds < 1)
		usage();

	for (int a = optind; a < argc; a++)
	{
		int			id;

		for (id = 0; id < S_COUNT; id++)
			if (strcmp(argv[a], strategy_names[id]) == 0)
				break;
		if (id == S_COUNT)
			die("unknown strategy '%s'", argv[a]);
		for (int b = 0; b < k; b++)
			if (strategies[b].id == (StrategyId) id)
				die("strategy '%s' given twice", argv[a]);
		strategies[k].id = id;
		strategies[k].cap = rounds;
		k++;
	}
	for (int c = 0; c < n_caps; c++)
	{
		char	   *eq = strchr(caps[c], '=');
		bool		found = false;

		if (!eq)
			usage();
		for (int b = 0; b < k; b++)
			if (strncmp(caps[c], strategy_names[strategies[b].id], eq - caps[c]) == 0 &&
				strlen(strategy_names[strategies[b].id]) == (size_t) (eq - caps[c]))
			{
				strategies[b].cap = atoi(eq + 1);
				found = true;
			}
		if (!found)
			die("-c names a strategy not run: %s", caps[c]);
	}

	for (int b = 0; b < k; b++)
		setup_strategy(&strategies[b], conninfo);
	for (int b = 0; b < k; b++)
		run_once(&strategies[b], 0);
	for (int r = 1; r <= rounds; r++)
		for (int i = 0; i < k; i++)
		{
			Strategy   *s = &strategies[(r - 1 + i) % k];

			if (r <= s->cap)
				run_once(s, r);
		}
	for (int b = 0; b < k; b++)
		PQfinish(strategies[b].conn);
	return 0;
}
