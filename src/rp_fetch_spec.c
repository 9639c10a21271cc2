/*-------------------------------------------------------------------------
 *
 * rp_fetch_spec.c
 *	  Reading what a fetch asks for: a fetch_json spec, or fetch_children's
 *	  arguments, into a tree of RpSpec.
 *
 * Every key and value of a spec is checked here, with an error naming the
 * key and where it is in the spec; "a__b" paths are expanded and shared
 * prefixes merged; every fragment goes through the fragment checker
 * (rp_fragment.c).  Nothing here reads the catalogs: relationship names
 * and column names are resolved by the planner (rp_fetch_plan.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "rp_fetch.h"
#include "rp_fragment.h"

static void rp_spec_read(RpSpec *spec, JsonbContainer *container, bool root,
						 int depth);

static RpSpec *
rp_spec_new(const char *context)
{
	RpSpec	   *spec = palloc0(sizeof(RpSpec));

	spec->all_columns = true;
	spec->limit = -1;
	spec->context = pstrdup(context);
	return spec;
}

static const char *
rp_jsonb_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ?
				"an array" : "an object";
		default:
			return "a value";
	}
}

static void
rp_spec_type_error(const RpSpec *spec, const char *key, JsonbValue *v,
				   const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"%s\" of %s must be %s, not %s",
					key, spec->context, expected, rp_jsonb_type_name(v))));
}

static char *
rp_spec_string(const RpSpec *spec, const char *key, JsonbValue *v)
{
	if (v->type != jbvString)
		rp_spec_type_error(spec, key, v, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* A limit or offset: a non-negative integer */
static int64
rp_spec_count(const RpSpec *spec, const char *key, JsonbValue *v)
{
	char	   *str;
	char	   *end;
	int64		n;

	if (v->type != jbvNumeric)
		rp_spec_type_error(spec, key, v, "an integer");
	str = DatumGetCString(DirectFunctionCall1(numeric_out,
											  NumericGetDatum(v->val.numeric)));
	errno = 0;
	n = strtoi64(str, &end, 10);
	if (*end == '.')			/* 2.0 is an integer too */
		end += strspn(end + 1, "0") + 1;
	if (*end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of %s must be an integer, not %s",
						key, spec->context, str)));
	if (errno != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" of %s is out of range: %s",
						key, spec->context, str)));
	if (n < 0)
		ereport(ERROR,
				(errcode(strcmp(key, "offset") == 0 ?
						 ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE :
						 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
				 errmsg("\"%s\" of %s must not be negative",
						key, spec->context)));
	return n;
}

/*
 * The one key and value of an object given as an element of an array
 * ("columns": [{"headline": "title"}], "include": [{"c": {...}}]); what
 * tells the caller what the value is, for the error.
 */
static void
rp_spec_pair(const RpSpec *spec, const char *key, JsonbValue *elem,
			 const char *what, char **name, JsonbValue *value)
{
	JsonbIterator *it = JsonbIteratorInit(elem->val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			*name = pnstrdup(v.val.string.val, v.val.string.len);
			n++;
		}
		else if (tok == WJB_VALUE)
			*value = v;
	}
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an object in \"%s\" of %s must hold exactly one key, not %d",
						key, spec->context, n),
				 errhint("Give each %s its own object, as in [%s].", what,
						 strcmp(key, "columns") == 0 ?
						 "\"id\", {\"headline\": \"title\"}" :
						 "\"author\", {\"comments\": {\"limit\": 3}}")));
	if (**name == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an output key in \"%s\" of %s must not be empty",
						key, spec->context)));
}

/*
 * "columns": column names, or {"output key": "column"} objects for a
 * column rendered under another key
 */
static void
rp_spec_columns(RpSpec *spec, JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		rp_spec_type_error(spec, "columns", v, "an array of column names");
	spec->all_columns = false;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		char	   *alias;
		char	   *column;

		if (tok != WJB_ELEM)
			continue;
		if (elem.type == jbvBinary &&
			JsonContainerIsObject(elem.val.binary.data))
		{
			JsonbValue	value;

			rp_spec_pair(spec, "columns", &elem, "renamed column", &alias,
						 &value);
			if (value.type != jbvString)
				rp_spec_type_error(spec, psprintf("columns\" key \"%s", alias),
								   &value, "a column name (a string)");
			column = pnstrdup(value.val.string.val, value.val.string.len);
		}
		else if (elem.type == jbvString)
		{
			column = pnstrdup(elem.val.string.val, elem.val.string.len);
			alias = column;
		}
		else
			rp_spec_type_error(spec, "columns", &elem,
							   "an array of column names and {\"key\": \"column\"} objects");
		spec->columns = lappend(spec->columns, column);
		spec->aliases = lappend(spec->aliases, alias);
	}
}

/* A boolean key: inner, spread */
static bool
rp_spec_bool(const RpSpec *spec, const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		rp_spec_type_error(spec, key, v, "a boolean");
	return v->val.boolean;
}

/* Is word, of len bytes, the keyword kw (case-insensitive)? */
static bool
rp_spec_word(const char *word, int len, const char *kw)
{
	return len == (int) strlen(kw) && pg_strncasecmp(word, kw, len) == 0;
}

static void
rp_spec_order_error(const RpSpec *spec, const char *item, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("\"order\" of %s has an invalid item \"%s\": %s",
					spec->context, item, why),
			 errhint("An item is a column, or relationships joined by \"__\" then \".\" and a column (\"author__country.name\"), then optionally asc or desc and nulls first or nulls last; a relationship may be chosen with \"!\" and a \"via\" (\"addresses!billing.name\"); a name in double quotes may hold any character.")));
}

static bool
rp_spec_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * One name of an item of "order" at p, into seg: bare (up to a space, a
 * ".", a "!" or a double quote) or in double quotes ("" for a quote
 * inside).  Returns where it ends.
 */
static const char *
rp_spec_order_name(const RpSpec *spec, const char *text, const char *p,
				   StringInfo seg, bool *quoted)
{
	*quoted = *p == '"';
	if (*quoted)
	{
		for (p++;; p++)
		{
			if (*p == '\0')
				rp_spec_order_error(spec, text,
									"a quoted name is not terminated");
			if (*p == '"' && p[1] == '"')
				appendStringInfoChar(seg, *p++);
			else if (*p == '"')
				break;
			else
				appendStringInfoChar(seg, *p);
		}
		p++;
	}
	else
	{
		while (*p && !rp_spec_space(*p) && *p != '.' && *p != '"' &&
			   *p != '!')
			appendStringInfoChar(seg, *p++);
	}
	if (seg->len == 0)
		rp_spec_order_error(spec, text, "a name is empty");
	return p;
}

/* Add the relationship name, chosen with via (or NULL), to item's path */
static void
rp_spec_order_step(const RpSpec *spec, const char *text, RpOrderItem *item,
				   StringInfo name, const char *via)
{
	if (name->len == 0)
		rp_spec_order_error(spec, text, "a relationship name is empty");
	item->path = lappend(item->path, name->data);
	item->vias = lappend(item->vias, (void *) via);
	initStringInfo(name);
}

/*
 * The reference of an item of "order": names separated by ".", each bare
 * or in double quotes, the last one the column.  The names before it are
 * the path: joined by "." (a schema-qualified name), bare ones split at
 * "__"; a name followed by "!" and another name (PostgREST's hint) is a
 * relationship chosen by that "via", and ends it.  Returns where the
 * reference ends.
 */
static const char *
rp_spec_order_ref(const RpSpec *spec, const char *text, RpOrderItem *item)
{
	const char *p = text;
	StringInfoData name;

	initStringInfo(&name);
	for (;;)
	{
		StringInfoData seg;
		bool		quoted;
		char	   *via = NULL;

		initStringInfo(&seg);
		p = rp_spec_order_name(spec, text, p, &seg, &quoted);
		if (*p == '!')
		{
			StringInfoData v;
			bool		vquoted;

			initStringInfo(&v);
			p = rp_spec_order_name(spec, text, p + 1, &v, &vquoted);
			via = v.data;
			if (*p != '.')
				rp_spec_order_error(spec, text,
									"a relationship chosen with \"!\" must be followed by \".\" and a column");
		}
		if (*p != '.')
		{
			/* the column; what came before is the path's last name */
			item->column = seg.data;
			if (name.len > 0)
				rp_spec_order_step(spec, text, item, &name, NULL);
			return p;
		}
		p++;
		/* a name of the path, or a part of one ("schema.table") */
		if (name.len > 0)
			appendStringInfoChar(&name, '.');
		if (quoted)
			appendStringInfoString(&name, seg.data);
		else
		{
			const char *part = seg.data;
			const char *sep;

			while ((sep = strstr(part, "__")) != NULL)
			{
				appendBinaryStringInfo(&name, part, sep - part);
				rp_spec_order_step(spec, text, item, &name, NULL);
				part = sep + 2;
			}
			appendStringInfoString(&name, part);
			if (name.len == 0)
				rp_spec_order_error(spec, text,
									"a relationship name is empty");
		}
		if (via != NULL)
			rp_spec_order_step(spec, text, item, &name, via);
	}
}

/* One item of "order": [path.]column [asc|desc] [nulls first|last] */
static RpOrderItem *
rp_spec_order_item(const RpSpec *spec, const char *text)
{
	RpOrderItem *item = palloc0(sizeof(RpOrderItem));
	const char *words[4];
	int			lens[4];
	int			nwords = 0;
	const char *p = text;
	int			i = 0;

	item->text = pstrdup(text);
	while (rp_spec_space(*p))
		p++;
	if (*p == '\0')
		rp_spec_order_error(spec, text, "it is empty");
	p = rp_spec_order_ref(spec, p, item);
	for (;;)
	{
		while (rp_spec_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (nwords == 4)
			rp_spec_order_error(spec, text, "too many words");
		words[nwords] = p;
		while (*p && !rp_spec_space(*p))
			p++;
		lens[nwords] = p - words[nwords];
		nwords++;
	}
	if (i < nwords && (rp_spec_word(words[i], lens[i], "asc") ||
					   rp_spec_word(words[i], lens[i], "desc")))
	{
		item->desc = rp_spec_word(words[i], lens[i], "desc");
		i++;
	}
	if (i + 1 < nwords && rp_spec_word(words[i], lens[i], "nulls") &&
		(rp_spec_word(words[i + 1], lens[i + 1], "first") ||
		 rp_spec_word(words[i + 1], lens[i + 1], "last")))
	{
		item->nulls = rp_spec_word(words[i + 1], lens[i + 1], "first") ? 1 : 2;
		i += 2;
	}
	if (i < nwords)
		rp_spec_order_error(spec, text,
							"after the column come only asc or desc, then nulls first or nulls last");
	return item;
}

/* "order": items separated by commas, in a string or an array of strings */
static void
rp_spec_order(RpSpec *spec, JsonbValue *v)
{
	List	   *texts = NIL;
	ListCell   *lc;

	if (v->type == jbvString)
		texts = list_make1(pnstrdup(v->val.string.val, v->val.string.len));
	else if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		JsonbIterator *it = JsonbIteratorInit(v->val.binary.data);
		JsonbValue	elem;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (elem.type != jbvString)
				rp_spec_type_error(spec, "order", &elem,
								   "a string or an array of strings");
			texts = lappend(texts, pnstrdup(elem.val.string.val,
											elem.val.string.len));
		}
		if (texts == NIL)
			rp_spec_order_error(spec, "", "it is empty");
	}
	else
		rp_spec_type_error(spec, "order", v, "a string or an array of strings");

	foreach(lc, texts)
	{
		char	   *text = (char *) lfirst(lc);
		char	   *p;
		bool		quoted = false;

		/* items are separated by the commas outside double quotes */
		for (p = text; *p; p++)
		{
			if (*p == '"')
				quoted = !quoted;
			else if (*p == ',' && !quoted)
			{
				*p = '\0';
				spec->order = lappend(spec->order,
									  rp_spec_order_item(spec, text));
				text = p + 1;
			}
		}
		spec->order = lappend(spec->order, rp_spec_order_item(spec, text));
	}
}

/* How messages name the include key of parent: include "a__b" */
static char *
rp_spec_context(const RpSpec *parent, const char *key)
{
	if (parent->key == NULL)
		return psprintf("include \"%s\"", key);
	return psprintf("%.*s__%s\"", (int) strlen(parent->context) - 1,
					parent->context, key);
}

/* The include of parent with output key key, made if missing */
static RpSpec *
rp_spec_child(RpSpec *parent, const char *key, const char *path, int depth)
{
	ListCell   *lc;
	RpSpec	   *child;

	foreach(lc, parent->includes)
	{
		child = (RpSpec *) lfirst(lc);
		if (strcmp(child->key, key) == 0)
		{
			if (strcmp(child->path, path) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("include \"%s\" of %s names two relationships, \"%s\" and \"%s\"",
								key, parent->context, child->path, path)));
			return child;
		}
	}
	if (depth > RP_FETCH_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("includes nest deeper than %d levels at \"%s\" of %s",
						RP_FETCH_MAX_DEPTH, key, parent->context)));
	if (list_length(parent->includes) >= RP_FETCH_MAX_INCLUDES)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("%s has more than %d includes",
						parent->context, RP_FETCH_MAX_INCLUDES)));
	child = rp_spec_new(rp_spec_context(parent, key));
	child->key = pstrdup(key);
	child->path = pstrdup(path);
	parent->includes = lappend(parent->includes, child);
	return child;
}

/* Split a path at "__"; every part must be a name */
static List *
rp_spec_path(const RpSpec *spec, const char *path)
{
	List	   *parts = NIL;
	const char *start = path;

	for (;;)
	{
		const char *sep = strstr(start, "__");
		int			len = sep ? sep - start : strlen(start);

		if (len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("path \"%s\" in %s has an empty relationship name",
							path, spec->context),
					 errhint("A path is relationship names joined by \"__\", as in \"author__country\".")));
		parts = lappend(parts, pnstrdup(start, len));
		if (sep == NULL)
			return parts;
		start = sep + 2;
	}
}

/* Walk or make the includes for the path's names but the last */
static RpSpec *
rp_spec_walk(RpSpec *spec, List *parts, int *depth)
{
	int			i;

	for (i = 0; i < list_length(parts) - 1; i++)
	{
		char	   *name = (char *) list_nth(parts, i);

		spec = rp_spec_child(spec, name, name, ++(*depth));
	}
	return spec;
}

/* An include of the object form, or an object in the array form */
static void
rp_spec_include_object(RpSpec *spec, char *key, JsonbValue *item, int depth)
{
	List	   *parts;
	RpSpec	   *at;
	RpSpec	   *child;
	int			d = depth;
	char	   *path = key;
	JsonbValue	pathval;

	/* key -> sub-spec, whose path defaults to the key */
	if (item->type != jbvBinary || !JsonContainerIsObject(item->val.binary.data))
		rp_spec_type_error(spec, psprintf("include\" key \"%s", key), item,
						   "an object");
	if (getKeyJsonValueFromContainer(item->val.binary.data, "path", 4,
									 &pathval) != NULL &&
		pathval.type != jbvNull)
	{
		RpSpec	   *named = rp_spec_new(rp_spec_context(spec, key));

		path = rp_spec_string(named, "path", &pathval);
	}
	parts = rp_spec_path(spec, path);
	at = rp_spec_walk(spec, parts, &d);
	child = rp_spec_child(at, key, llast(parts), d + 1);
	if (child->explicit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("include \"%s\" of %s is given twice",
						key, at->context)));
	child->explicit = true;
	rp_spec_read(child, item->val.binary.data, false, d + 1);
}

/*
 * "include": an array of paths and {"key": sub-spec} objects, output in
 * the array's order, or an object of key -> sub-spec (jsonb's key order)
 */
static void
rp_spec_includes(RpSpec *spec, JsonbValue *v, int depth)
{
	JsonbIterator *it;
	JsonbValue	item;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (v->type != jbvBinary)
		rp_spec_type_error(spec, "include", v, "an array of paths or an object");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &item, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(item.val.string.val, item.val.string.len);
			continue;
		}
		if (tok == WJB_ELEM)
		{
			List	   *parts;
			RpSpec	   *at;
			int			d = depth;
			char	   *path;

			if (item.type == jbvBinary &&
				JsonContainerIsObject(item.val.binary.data))
			{
				JsonbValue	value;

				rp_spec_pair(spec, "include", &item, "include", &key, &value);
				rp_spec_include_object(spec, key, &value, depth);
				continue;
			}
			/* array form: every path adds what it names */
			if (item.type != jbvString)
				rp_spec_type_error(spec, "include", &item,
								   "an array of paths (strings) and {\"key\": {...}} objects");
			path = pnstrdup(item.val.string.val, item.val.string.len);
			parts = rp_spec_path(spec, path);
			at = rp_spec_walk(spec, parts, &d);
			(void) rp_spec_child(at, llast(parts), llast(parts), d + 1);
			continue;
		}
		if (tok == WJB_VALUE)
			rp_spec_include_object(spec, key, &item, depth);
	}
}

/*
 * Read one object of the spec into spec: the root (root true) or an
 * include's sub-spec, at depth levels below the root.
 */
static void
rp_spec_read(RpSpec *spec, JsonbContainer *container, bool root, int depth)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (v.type == jbvNull)
			continue;			/* null: as if not given */

		if (strcmp(key, "columns") == 0)
			rp_spec_columns(spec, &v);
		else if (strcmp(key, "where") == 0)
		{
			spec->where = rp_spec_string(spec, key, &v);
			rp_fragment_check(spec->where, RP_FRAGMENT_WHERE, key,
							  spec->context);
		}
		else if (strcmp(key, "order_by") == 0)
		{
			spec->order_by = rp_spec_string(spec, key, &v);
			rp_fragment_check(spec->order_by, RP_FRAGMENT_ORDER_BY, key,
							  spec->context);
		}
		else if (strcmp(key, "order") == 0)
			rp_spec_order(spec, &v);
		else if (strcmp(key, "limit") == 0)
			spec->limit = rp_spec_count(spec, key, &v);
		else if (strcmp(key, "offset") == 0 && root)
			spec->offset = rp_spec_count(spec, key, &v);
		else if (strcmp(key, "include") == 0)
			rp_spec_includes(spec, &v, depth);
		else if (strcmp(key, "via") == 0 && !root)
			spec->via = rp_spec_string(spec, key, &v);
		else if (strcmp(key, "inner") == 0 && !root)
			spec->inner = rp_spec_bool(spec, key, &v);
		else if (strcmp(key, "spread") == 0 && !root)
			spec->spread = rp_spec_bool(spec, key, &v);
		else if (strcmp(key, "path") == 0 && !root)
			continue;			/* read by rp_spec_include_object */
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown key \"%s\" in %s", key,
							spec->context),
					 errhint("%s",
							 root ? "The spec's keys are columns, where, order_by, order, limit, offset and include." :
							 "An include's keys are path, via, columns, where, order_by, order, limit, inner, spread and include.")));
	}
	if (spec->order != NIL && spec->order_by != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s gives both \"order\" and \"order_by\"", spec->context),
				 errhint("Give one of them: \"order\" names columns, \"order_by\" is an SQL ORDER BY list.")));
}

/* The spec of a fetch_json call, read and checked */
RpSpec *
rp_spec_from_json(Jsonb *jspec)
{
	RpSpec	   *spec;

	if (!JB_ROOT_IS_OBJECT(jspec))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the spec must be a JSON object"),
				 errhint("For example '{\"include\": [\"author\"]}'.")));
	spec = rp_spec_new("the spec");
	rp_spec_read(spec, &jspec->root, true, 0);
	return spec;
}

/*
 * The spec of a fetch_children call: the parent rows, with one include,
 * the children (rows of child_rel).  child_limit was checked by the caller.
 */
RpSpec *
rp_spec_from_children(const RpChildrenArgs *args, Oid child_rel)
{
	RpSpec	   *parent = rp_spec_new("the parent rows");
	RpSpec	   *child = rp_spec_new("the children");

	parent->typed = true;
	parent->where = (char *) args->parent_where;
	if (parent->where)
		rp_fragment_check(parent->where, RP_FRAGMENT_WHERE, "parent_where",
						  "fetch_children");
	child->typed = true;
	child->only_target = child_rel;
	child->via = (char *) args->via;
	child->where = (char *) args->child_where;
	child->order_by = (char *) args->child_order_by;
	child->limit = args->child_limit;
	if (child->where)
		rp_fragment_check(child->where, RP_FRAGMENT_WHERE, "child_where",
						  "fetch_children");
	if (child->order_by)
		rp_fragment_check(child->order_by, RP_FRAGMENT_ORDER_BY,
						  "child_order_by", "fetch_children");
	parent->includes = list_make1(child);
	return parent;
}
