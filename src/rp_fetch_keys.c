/*-------------------------------------------------------------------------
 *
 * rp_fetch_keys.c
 *	  Typing the keys of a fetch: how the values that relate two tables
 *	  are hashed and compared within a batch.
 *
 * A node's rows are grouped by the values of its key, and matched with
 * the values of its parent's columns (rp_fetch_exec.c).  The two sides of
 * a foreign key may be of different types (int4 referencing int8, varchar
 * referencing text) and collations: each pair of columns is compared in
 * one type, the wider one, and with the collation of the referenced
 * column, as the foreign key itself compares them.  Types whose equal
 * values always have equal bits are compared bitwise, without calling
 * their equality function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "rp_fetch.h"

static bool
rp_type_is_bitwise(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
		case CHAROID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return true;
		default:
			return false;
	}
}

/* Set up key to hash and compare values of the given types */
static void
rp_key_type_init(RpKeyType *key, int nkeys, const Oid *types,
				 const Oid *collations, MemoryContext cxt)
{
	int			i;

	key->nkeys = nkeys;
	for (i = 0; i < nkeys; i++)
	{
		Oid			typid = getBaseType(types[i]);
		TypeCacheEntry *tce;

		key->typid[i] = typid;
		key->bitwise[i] = rp_type_is_bitwise(typid);
		get_typlenbyval(typid, &key->typlen[i], &key->typbyval[i]);
		key->collation[i] = OidIsValid(collations[i]) ? collations[i] :
			get_typcollation(typid);

		/*
		 * A bitwise type's values are hashed and compared by their bits: its
		 * functions are not needed, and not looking them up spares a new
		 * session's first fetch reading its hash operator class.
		 */
		if (key->bitwise[i])
		{
			memset(&key->hash[i], 0, sizeof(FmgrInfo));
			memset(&key->eq[i], 0, sizeof(FmgrInfo));
			continue;
		}
		tce = lookup_type_cache(typid, TYPECACHE_HASH_PROC_FINFO |
								TYPECACHE_EQ_OPR_FINFO);
		if (!OidIsValid(tce->hash_proc) || !OidIsValid(tce->eq_opr))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot follow a key of type %s",
							format_type_be(typid)),
					 errdetail("The type has no hash function or no default equality operator.")));
		fmgr_info_copy(&key->hash[i], &tce->hash_proc_finfo, cxt);
		fmgr_info_copy(&key->eq[i], &tce->eq_opr_finfo, cxt);
	}
}

Oid
rp_column_type(Oid relid, AttrNumber attnum)
{
	return getBaseType(get_atttype(relid, attnum));
}

Oid
rp_column_collation(Oid relid, AttrNumber attnum)
{
	Oid			typid;
	int32		typmod;
	Oid			collation;

	get_atttypetypmodcoll(relid, attnum, &typid, &typmod, &collation);
	return collation;
}

/*
 * Set up the key that matches columns acols of arel with bcols of brel,
 * column by column.  Each pair is compared in one type: the wider one when
 * one converts implicitly to the other (so that no value is cut short,
 * even in a NOT VALID foreign key), and with the collation of the
 * referenced column (refrel, refcols), the one the foreign key compares
 * with.
 */
void
rp_key_pair(RpKeyType *key, int nkeys, Oid arel, const AttrNumber *acols,
			Oid brel, const AttrNumber *bcols, Oid refrel,
			const AttrNumber *refcols, MemoryContext cxt)
{
	Oid			types[INDEX_MAX_KEYS];
	Oid			collations[INDEX_MAX_KEYS];
	int			i;

	for (i = 0; i < nkeys; i++)
	{
		Oid			ta = rp_column_type(arel, acols[i]);
		Oid			tb = rp_column_type(brel, bcols[i]);

		if (ta == tb || can_coerce_type(1, &tb, &ta, COERCION_IMPLICIT))
			types[i] = ta;
		else if (can_coerce_type(1, &ta, &tb, COERCION_IMPLICIT))
			types[i] = tb;
		else
			types[i] = ta;
		collations[i] = rp_column_collation(refrel, refcols[i]);
	}
	rp_key_type_init(key, nkeys, types, collations, cxt);
}

/*
 * Whether a sort by key's values puts together the values that key finds
 * equal: each column's type has a default btree ordering whose equality
 * is the one key compares with (rp_sql_grouped_order).
 */
bool
rp_key_sortable(const RpKeyType *key)
{
	int			i;

	for (i = 0; i < key->nkeys; i++)
	{
		TypeCacheEntry *tce;

		/* each bitwise type's default btree ordering has its equality */
		if (key->bitwise[i])
			continue;
		tce = lookup_type_cache(key->typid[i], TYPECACHE_EQ_OPR |
								TYPECACHE_LT_OPR | TYPECACHE_BTREE_OPFAMILY);
		if (!OidIsValid(tce->lt_opr) || !OidIsValid(tce->btree_opf) ||
			get_opfamily_member(tce->btree_opf, key->typid[i], key->typid[i],
								BTEqualStrategyNumber) != tce->eq_opr)
			return false;
	}
	return true;
}
