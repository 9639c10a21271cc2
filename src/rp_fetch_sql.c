/*-------------------------------------------------------------------------
 *
 * rp_fetch_sql.c
 *	  Writing the queries of a fetch: the one place that writes SQL for
 *	  the fetch functions.
 *
 * Everything written here is schema-qualified (tables, types, operators,
 * collations) and every name is quoted as needed, so the queries mean the
 * same under any search_path; only the caller's fragments, which the
 * fragment checker (rp_fragment.c) let through, are read with the caller's
 * search_path, as they would be in the caller's own SQL.  A fragment is
 * placed as written: a WHERE inside parentheses and each fragment followed
 * by a line break, so that nothing it holds can reach the text after it.
 *
 * The order of the columns a node's query returns is a contract with
 * rp_fetch_exec.c, which reads them back by position: it is stated in
 * rp_fetch.h, next to the functions that give the positions.  The
 * functions here that make select-list items are the only ones that may
 * add to a query's columns, and rp_fetch_plan.c calls them in that order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "rp_fetch.h"

/*
 * A column, cast to as_type when its type is another (a cross-type FK);
 * qualified by qualifier (a table's name or alias) unless NULL
 */
static char *
rp_column_as(Oid relid, AttrNumber attnum, Oid as_type, const char *qualifier)
{
	char	   *name = (char *) quote_identifier(get_attname(relid, attnum, false));

	if (qualifier != NULL)
		name = psprintf("%s.%s", quote_identifier(qualifier), name);

	if (rp_column_type(relid, attnum) == getBaseType(as_type))
		return name;
	return psprintf("CAST(%s AS %s)", name, format_type_be_qualified(as_type));
}

/* "schema"."collation" */
static char *
rp_collation_name(Oid collation)
{
	HeapTuple	tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
	Form_pg_collation form;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for collation %u", collation);
	form = (Form_pg_collation) GETSTRUCT(tuple);
	result = quote_qualified_identifier(get_namespace_name(form->collnamespace),
										NameStr(form->collname));
	ReleaseSysCache(tuple);
	return result;
}

/*
 * The values of key's columns cols of relid, as SQL: cast to the key's
 * types and collated as the key when the columns differ.
 */
static List *
rp_key_values(Oid relid, const AttrNumber *cols, const RpKeyType *key,
			  const char *qualifier)
{
	List	   *result = NIL;
	int			i;

	for (i = 0; i < key->nkeys; i++)
	{
		char	   *expr = rp_column_as(relid, cols[i], key->typid[i],
										qualifier);
		Oid			collation = rp_column_collation(relid, cols[i]);

		if (OidIsValid(key->collation[i]) && collation != key->collation[i])
			expr = psprintf("%s COLLATE %s", expr,
							rp_collation_name(key->collation[i]));
		result = lappend(result, expr);
	}
	return result;
}

List *
rp_sql_key_values(Oid relid, const AttrNumber *cols, const RpKeyType *key)
{
	return rp_key_values(relid, cols, key, NULL);
}

/*
 * The same, each column qualified by qualifier, or by relid's name when
 * NULL: for a query's columns referred to from inside a subquery
 * (rp_sql_inner, rp_sql_related_join), whose own columns might otherwise
 * have the same names
 */
List *
rp_sql_outer_key_values(Oid relid, const AttrNumber *cols,
						const RpKeyType *key, const char *qualifier)
{
	return rp_key_values(relid, cols, key,
						 qualifier ? qualifier : get_rel_name(relid));
}

/* exprs with aliases of our own, which no ORDER BY can mistake for a column */
List *
rp_sql_aliased(List *exprs, const char *prefix)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, exprs)
		result = lappend(result, psprintf("%s AS \"?%s%d?\"", (char *) lfirst(lc),
										  prefix, foreach_current_index(lc) + 1));
	return result;
}

/* OPERATOR(schema.=), the default equality of typid */
static char *
rp_equality_operator(Oid typid)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(typid),
											TYPECACHE_EQ_OPR);
	HeapTuple	tuple = SearchSysCache1(OPEROID,
										ObjectIdGetDatum(tce->eq_opr));
	Form_pg_operator oper;
	char	   *result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", tce->eq_opr);
	oper = (Form_pg_operator) GETSTRUCT(tuple);
	result = psprintf("OPERATOR(%s.%s)",
					  quote_identifier(get_namespace_name(oper->oprnamespace)),
					  NameStr(oper->oprname));
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Write query's forms:
 *	SELECT <select> FROM <table> [WHERE (<where>)] [ORDER BY <order_by>]
 * and the same with "<keys[i]> = ANY ($i+1)" for each key added to the
 * WHERE, and, for a key of one integer column, with "<key> >= $1 AND
 * <key> <= $2".  key_types are the key's types, which the keyed form's
 * parameters are arrays of.
 */
void
rp_sql_write_query(RpQuery *query, List *select, Oid relid, const char *where,
				   const char *order_by, List *keys, const RpKeyType *key_types,
				   const char *tail, Oid sized_by, const char *what)
{
	rp_sql_write_joined(query, select, relid, NULL, where, order_by, keys,
						key_types, tail, sized_by, what);
}

/*
 * The same, with joins (of rp_sql_related_join, for "order") after the
 * table
 */
void
rp_sql_write_joined(RpQuery *query, List *select, Oid relid,
					const char *joins, const char *where,
					const char *order_by, List *keys,
					const RpKeyType *key_types, const char *tail,
					Oid sized_by, const char *what)
{
	StringInfoData head;
	StringInfoData buf;
	ListCell   *lc;
	int			i;

	initStringInfo(&head);
	appendStringInfoString(&head, "SELECT ");
	foreach(lc, select)
		appendStringInfo(&head, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 (char *) lfirst(lc));
	appendStringInfo(&head, " FROM %s%s", rp_relation_qualified_name(relid),
					 joins != NULL ? joins : "");
	if (where != NULL)
		appendStringInfo(&head, " WHERE (%s\n)", where);

	initStringInfo(&buf);
	appendStringInfoString(&buf, head.data);
	if (order_by != NULL)
		appendStringInfo(&buf, " ORDER BY %s\n", order_by);
	if (tail != NULL)
		appendStringInfoString(&buf, tail);
	query->sql_all = buf.data;
	query->sized_by = sized_by;
	query->what = what;

	if (keys == NIL)
		return;
	initStringInfo(&buf);
	appendStringInfoString(&buf, head.data);
	query->nparams = list_length(keys);
	i = 0;
	foreach(lc, keys)
	{
		Oid			typid = key_types->typid[i];

		query->paramtypes[i] = get_array_type(typid);
		if (!OidIsValid(query->paramtypes[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot follow a key of type %s",
							format_type_be(typid)),
					 errdetail("The type has no array type.")));
		appendStringInfo(&buf, "%s %s %s ANY ($%d)",
						 (where != NULL || i > 0) ? " AND" : " WHERE",
						 (char *) lfirst(lc), rp_equality_operator(typid),
						 i + 1);
		i++;
	}
	if (order_by != NULL)
		appendStringInfo(&buf, " ORDER BY %s\n", order_by);
	query->sql_keyed = buf.data;

	/*
	 * A key of one integer column has a third form, for a batch whose keys
	 * are most of the values between the least and the greatest (the serial
	 * keys of parents read in key order): one index range scan rather than a
	 * descent of the index per key.
	 */
	if (list_length(keys) == 1 && rp_sql_key_is_integer(key_types->typid[0]))
	{
		const char *key = (const char *) linitial(keys);

		initStringInfo(&buf);
		appendStringInfoString(&buf, head.data);
		appendStringInfo(&buf, "%s %s OPERATOR(pg_catalog.>=) $1 AND %s OPERATOR(pg_catalog.<=) $2",
						 where != NULL ? " AND" : " WHERE", key, key);
		if (order_by != NULL)
			appendStringInfo(&buf, " ORDER BY %s\n", order_by);
		query->sql_range = buf.data;
		query->rangetypes[0] = key_types->typid[0];
		query->rangetypes[1] = key_types->typid[0];
	}
}

/*
 * Whether a key of type typid has the range form: the built-in integer
 * types, whose operators are pg_catalog's and whose values
 * rp_fetch_exec.c can count between two of them.
 */
bool
rp_sql_key_is_integer(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/*
 * Make query's whole-table form sort in each shard of a Citus table, for
 * a table whose rows of one key are all in one shard
 * (rp_citus_key_in_one_shard): its ORDER BY goes into a derived table,
 *	SELECT * FROM (<query>) AS "?sorted?"
 * which Citus sends whole to each shard, where an index on the key may
 * give the order, and whose rows it passes on in each shard's order
 * rather than sorting them all again on this node.  Rows then arrive in
 * order within each key, which is all a grouped order (rp_sql_grouped_order)
 * is read for.
 */
void
rp_sql_sort_in_shards(RpQuery *query)
{
	query->sql_all = psprintf("SELECT * FROM (%s) AS \"?sorted?\"",
							  query->sql_all);
}

/*
 * The key columns of a node's query, first in its select list: key's
 * columns cols of relid, under aliases "?<prefix>N?".
 */
List *
rp_sql_key_columns(Oid relid, const AttrNumber *cols, const RpKeyType *key,
				   const char *prefix)
{
	return rp_sql_aliased(rp_sql_key_values(relid, cols, key), prefix);
}

/* A rendered column of the payload (fetch_json) */
char *
rp_sql_column(const char *name)
{
	return (char *) quote_identifier(name);
}

/* The payload of fetch_children: the whole row as one value of its type */
char *
rp_sql_whole_row(Relation rel)
{
	return psprintf("(%s.*)::%s AS \"?row?\"",
					quote_identifier(RelationGetRelationName(rel)),
					format_type_be_qualified(rel->rd_rel->reltype));
}

/*
 * A column an include is looked up by, after the payload: position counts
 * these columns from 1, across all includes.
 */
char *
rp_sql_include_key(Oid relid, AttrNumber attnum, Oid as_type, int position)
{
	return psprintf("%s AS \"?include%d?\"",
					rp_column_as(relid, attnum, as_type, NULL), position);
}

/*
 * A column the rows are put in order by after they are read
 * (rp_fetch_sort.c), after the include keys: position counts from 1
 */
char *
rp_sql_sort_key(Oid relid, AttrNumber attnum, int position)
{
	return psprintf("%s AS \"?sort%d?\"",
					rp_sql_column(get_attname(relid, attnum, false)), position);
}

/* " LIMIT n OFFSET m" for the parent rows, or NULL when neither is given */
char *
rp_sql_limit(int64 limit, int64 offset)
{
	if (limit < 0 && offset <= 0)
		return NULL;
	return psprintf(" LIMIT %s OFFSET " INT64_FORMAT,
					limit >= 0 ? psprintf(INT64_FORMAT, limit) : "ALL",
					offset);
}

/*
 * where and each of conds, as one WHERE text for rp_sql_write_query; where
 * alone when there are no conds, NULL when there is nothing.
 */
char *
rp_sql_and(const char *where, List *conds)
{
	StringInfoData buf;
	ListCell   *lc;

	if (conds == NIL)
		return (char *) where;
	initStringInfo(&buf);
	if (where != NULL)
		appendStringInfo(&buf, "(%s\n)", where);
	foreach(lc, conds)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? " AND " : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * The rows of relid passing where whose columns keys (SQL over relid, in
 * key's types) equal values (SQL over the rows of the query this goes
 * into, qualified): SELECT 1 FROM a derived table "?inner?" of those
 * columns as "?innerN?", and a WHERE matching them.  Only our own names
 * are visible in the derived table, and where (a WHERE text of relid's
 * rows, fragments included) sees relid as in its own query.  limit is the
 * include's (-1 for none): with 0, no parent row has one.
 */
char *
rp_sql_inner(Oid relid, List *keys, const char *where, List *values,
			 const RpKeyType *key, int64 limit)
{
	StringInfoData buf;
	ListCell   *lc;
	ListCell   *lv;

	if (limit == 0)
		return pstrdup("false");
	initStringInfo(&buf);
	appendStringInfoString(&buf, "EXISTS (SELECT 1 FROM (SELECT ");
	foreach(lc, keys)
		appendStringInfo(&buf, "%s%s AS \"?inner%d?\"",
						 foreach_current_index(lc) > 0 ? ", " : "",
						 (char *) lfirst(lc), foreach_current_index(lc) + 1);
	appendStringInfo(&buf, " FROM %s", rp_relation_qualified_name(relid));
	if (where != NULL)
		appendStringInfo(&buf, " WHERE (%s\n)", where);
	appendStringInfoString(&buf, ") AS \"?inner?\" WHERE ");
	forboth(lc, keys, lv, values)
	{
		int			i = foreach_current_index(lc);

		appendStringInfo(&buf, "%s\"?inner?\".\"?inner%d?\" %s %s",
						 i > 0 ? " AND " : "", i + 1,
						 rp_equality_operator(key->typid[i]),
						 (char *) lfirst(lv));
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * A join to the to-one related row of relid, for "order": the row, read
 * as table (an alias), whose columns keys (SQL over table, in key's types)
 * equal values (SQL over the rows of the query this goes into, qualified),
 * giving value (SQL over table, and joins: those it needs in turn):
 *	LEFT JOIN LATERAL (SELECT <value> AS "<as>" FROM <relid> AS "<table>"
 *		<joins> WHERE <keys> = <values>) AS "<as>" ON true
 * The one column it shows is named as, which the caller chooses unlike any
 * column of the query's table, so that its fragments see its columns
 * alone.  PostgreSQL turns it into a plain join.
 */
char *
rp_sql_related_join(Oid relid, const char *table, List *keys,
					const char *value, const char *joins, List *values,
					const RpKeyType *key, const char *as)
{
	StringInfoData buf;
	ListCell   *lc;
	ListCell   *lv;

	initStringInfo(&buf);
	appendStringInfo(&buf, " LEFT JOIN LATERAL (SELECT %s AS %s FROM %s AS %s%s WHERE ",
					 value, quote_identifier(as),
					 rp_relation_qualified_name(relid),
					 quote_identifier(table), joins ? joins : "");
	forboth(lc, keys, lv, values)
	{
		int			i = foreach_current_index(lc);

		appendStringInfo(&buf, "%s%s %s %s", i > 0 ? " AND " : "",
						 (char *) lfirst(lc),
						 rp_equality_operator(key->typid[i]),
						 (char *) lfirst(lv));
	}
	appendStringInfo(&buf, ") AS %s ON true", quote_identifier(as));
	return buf.data;
}

/* The value a join of rp_sql_related_join gives */
char *
rp_sql_related_ref(const char *as)
{
	return psprintf("%s.%s", quote_identifier(as), quote_identifier(as));
}

/* A column, as SQL: its name, qualified by qualifier unless NULL */
char *
rp_sql_column_ref(const char *qualifier, const char *name)
{
	if (qualifier == NULL)
		return (char *) quote_identifier(name);
	return psprintf("%s.%s", quote_identifier(qualifier),
					quote_identifier(name));
}

/* One item of an ORDER BY list */
char *
rp_sql_order_item(const char *value, bool desc, int nulls)
{
	return psprintf("%s%s%s", value, desc ? " DESC" : "",
					nulls == 1 ? " NULLS FIRST" :
					nulls == 2 ? " NULLS LAST" : "");
}

/* An ORDER BY list of items */
char *
rp_sql_order_list(List *items)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, items)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 (char *) lfirst(lc));
	return buf.data;
}

/*
 * The ORDER BY of a node's query whose rows go to groups by its key, the
 * first nkeys columns: the key, then order_by.  Each group gets its rows in
 * order_by's order as before, while the executor may read the rows in key
 * order from an index on the key and sort only each key's rows (an
 * incremental sort) rather than the whole batch at once.  Positions, not
 * names: no payload column can be mistaken for a key column.
 */
char *
rp_sql_grouped_order(int nkeys, const char *order_by)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < nkeys; i++)
		appendStringInfo(&buf, "%d, ", i + 1);
	appendStringInfoString(&buf, order_by);
	return buf.data;
}
