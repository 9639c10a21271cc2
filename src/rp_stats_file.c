/*-------------------------------------------------------------------------
 *
 * rp_stats_file.c
 *	  The shared table's file: saved at a clean shutdown, loaded at start.
 *
 * The table is written to pg_stat/relprefetch.stat when the server shuts
 * down cleanly and read back (then removed) when it starts, so statistics
 * survive clean restarts.  After a crash the server starts with an empty
 * table, as pg_stat_statements does.  The file ends with a CRC; a file that
 * is truncated, corrupted or of another format is ignored with a LOG line.
 * Format 2 adds, after the header, the count of unproven repeats and,
 * after each entry's texts, its proof; format 3 (version 0.3.0), after
 * the proof, where the suggested call is in the suggestion.  Format 1
 * (version 0.2.0) and 2 files are still read.
 *
 * rp_stats_load runs while shared memory is set up, under
 * AddinShmemInitLock; rp_stats_save at the postmaster's shutdown, when no
 * backend runs: neither takes the table's lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "pgstat.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"

#include "rp_stats_internal.h"

#define RP_STATS_FILE		PGSTAT_STAT_PERMANENT_DIRECTORY "/relprefetch.stat"
#define RP_STATS_FILE_TMP	RP_STATS_FILE ".tmp"
#define RP_FILE_MAGIC		0x52504653	/* "RPFS" */
#define RP_FILE_FORMAT		3	/* 2: unproven, and each entry's proof; 3:
								 * where its call is */

/* The description of a repeat as every format keeps it */
typedef struct RpFileDesc
{
	Oid			relid;
	char		relation[RP_RELATION_LEN];
	char		foreign_key[NAMEDATALEN];
	char		suggestion[RP_SUGGESTION_LEN];
} RpFileDesc;

/* Fixed part of an entry in the stats file; texts follow it */
typedef struct RpFileEntry
{
	RpStatsKey	key;
	RpCounters	counters;
	double		usage;
	uint64		queryid;
	RpFileDesc	desc;
	int32		query_len;
	int32		source_len;
} RpFileEntry;

/* Where the call is in the suggestion (format 3), after the proof */
typedef struct RpFileCall
{
	uint16		start;
	uint16		len;
} RpFileCall;

typedef struct RpFileHeader
{
	uint32		magic;
	uint32		format;
	int64		evictions;
	TimestampTz stats_reset;
	int32		nentries;
} RpFileHeader;

static void rp_stats_load_buffer(const char *buf, Size size);

/*
 * Write the table to its file (or, with relprefetch.save off, remove any):
 * header, entries with their texts, then a CRC of all that.  Written under a temporary name and renamed, so a crash
 * while writing leaves no half file behind.
 */
void
rp_stats_save(void)
{
	FILE	   *file;
	RpFileHeader header;
	HASH_SEQ_STATUS hash_seq;
	RpStatsEntry *entry;
	pg_crc32c	crc;
	uint64		unproven;

	if (!rp_save)
	{
		unlink(RP_STATS_FILE);
		return;
	}

	file = AllocateFile(RP_STATS_FILE_TMP, PG_BINARY_W);
	if (file == NULL)
		goto error;

	INIT_CRC32C(crc);
	memset(&header, 0, sizeof(header));
	header.magic = RP_FILE_MAGIC;
	header.format = RP_FILE_FORMAT;
	header.evictions = rp_shared->evictions;
	header.stats_reset = rp_shared->stats_reset;
	header.nentries = hash_get_num_entries(rp_hash);
	unproven = pg_atomic_read_u64(&rp_shared->unproven);
	COMP_CRC32C(crc, &header, sizeof(header));
	COMP_CRC32C(crc, &unproven, sizeof(unproven));
	if (fwrite(&header, sizeof(header), 1, file) != 1 ||
		fwrite(&unproven, sizeof(unproven), 1, file) != 1)
		goto error;

	hash_seq_init(&hash_seq, rp_hash);
	while ((entry = hash_seq_search(&hash_seq)) != NULL)
	{
		RpFileEntry fe;
		const char *query = rp_entry_text(entry, 0);
		const char *source = rp_entry_text(entry, 1);
		int32		proof_len = strlen(entry->proof);
		RpFileCall	call;

		memset(&fe, 0, sizeof(fe));
		fe.key = entry->key;
		fe.counters = entry->counters;
		fe.usage = entry->usage;
		fe.queryid = entry->queryid;
		fe.desc.relid = entry->desc.relid;
		memcpy(fe.desc.relation, entry->desc.relation,
			   sizeof(fe.desc.relation));
		memcpy(fe.desc.foreign_key, entry->desc.foreign_key,
			   sizeof(fe.desc.foreign_key));
		memcpy(fe.desc.suggestion, entry->desc.suggestion,
			   sizeof(fe.desc.suggestion));
		call.start = entry->desc.call_start;
		call.len = entry->desc.call_len;
		fe.query_len = entry->query_len;
		fe.source_len = entry->source_len;

		COMP_CRC32C(crc, &fe, sizeof(fe));
		COMP_CRC32C(crc, query, fe.query_len);
		if (fe.source_len > 0)
			COMP_CRC32C(crc, source, fe.source_len);
		COMP_CRC32C(crc, &proof_len, sizeof(proof_len));
		COMP_CRC32C(crc, entry->proof, proof_len);
		COMP_CRC32C(crc, &call, sizeof(call));
		if (fwrite(&fe, sizeof(fe), 1, file) != 1 ||
			fwrite(query, 1, fe.query_len, file) != (size_t) fe.query_len ||
			(fe.source_len > 0 &&
			 fwrite(source, 1, fe.source_len, file) != (size_t) fe.source_len) ||
			fwrite(&proof_len, sizeof(proof_len), 1, file) != 1 ||
			fwrite(entry->proof, 1, proof_len, file) != (size_t) proof_len ||
			fwrite(&call, sizeof(call), 1, file) != 1)
			goto error;
	}

	FIN_CRC32C(crc);
	if (fwrite(&crc, sizeof(crc), 1, file) != 1)
		goto error;
	if (FreeFile(file))
	{
		file = NULL;
		goto error;
	}

	(void) durable_rename(RP_STATS_FILE_TMP, RP_STATS_FILE, LOG);
	return;

error:
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("could not write relprefetch file \"%s\": %m",
					RP_STATS_FILE_TMP)));
	if (file)
		FreeFile(file);
	unlink(RP_STATS_FILE_TMP);
}

/*
 * Read the file left by the last clean shutdown, if any, then remove it: a
 * later crash restart must not bring back these old figures.
 */
void
rp_stats_load(void)
{
	FILE	   *file;
	struct stat st;
	char	   *buf;

	if (!rp_save)
	{
		unlink(RP_STATS_FILE);
		return;
	}

	file = AllocateFile(RP_STATS_FILE, PG_BINARY_R);
	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read relprefetch file \"%s\": %m",
							RP_STATS_FILE)));
		return;
	}

	/* no valid file is larger than a full table of entries of full texts */
	if (fstat(fileno(file), &st) != 0 ||
		st.st_size > sizeof(RpFileHeader) + sizeof(uint64) + sizeof(pg_crc32c) +
		(Size) rp_max_entries * (sizeof(RpFileEntry) + 2 * rp_text_size +
								 sizeof(int32) + RP_PROOF_LEN))
	{
		ereport(LOG,
				(errmsg("ignoring relprefetch file \"%s\": it is larger than relprefetch.max entries can be",
						RP_STATS_FILE)));
		FreeFile(file);
		unlink(RP_STATS_FILE);
		return;
	}

	buf = palloc_extended(st.st_size + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (buf == NULL)
		ereport(LOG,
				(errmsg("ignoring relprefetch file \"%s\": out of memory",
						RP_STATS_FILE)));
	else if (fread(buf, 1, st.st_size, file) != (size_t) st.st_size)
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not read relprefetch file \"%s\": %m",
						RP_STATS_FILE)));
	else
		rp_stats_load_buffer(buf, st.st_size);

	FreeFile(file);
	if (buf != NULL)
		pfree(buf);
	unlink(RP_STATS_FILE);
}

/* Check the whole file, then fill the table from it */
static void
rp_stats_load_buffer(const char *buf, Size size)
{
	RpFileHeader header;
	pg_crc32c	crc;
	pg_crc32c	stored_crc;
	Size		pos;
	int			i;
	const char *problem = NULL;

	if (size < sizeof(header) + sizeof(pg_crc32c))
		problem = "the file is too short";
	else
	{
		INIT_CRC32C(crc);
		COMP_CRC32C(crc, buf, size - sizeof(pg_crc32c));
		FIN_CRC32C(crc);
		memcpy(&stored_crc, buf + size - sizeof(pg_crc32c), sizeof(stored_crc));
		memcpy(&header, buf, sizeof(header));
		if (header.magic != RP_FILE_MAGIC)
			problem = "it is not a relprefetch statistics file";
		else if (header.format < 1 || header.format > RP_FILE_FORMAT)
			problem = "it was written by another version of relprefetch";
		else if (!EQ_CRC32C(crc, stored_crc))
			problem = "its checksum does not match: the file is corrupted";
		else if (header.nentries < 0)
			problem = "its entry count is invalid";
	}
	if (problem)
	{
		ereport(LOG,
				(errmsg("ignoring relprefetch file \"%s\": %s",
						RP_STATS_FILE, problem)));
		return;
	}

	rp_shared->evictions = header.evictions;
	rp_shared->stats_reset = header.stats_reset;

	/* format 1 (relprefetch 0.2.0) has no unproven count and no proofs */
	pos = sizeof(header);
	if (header.format >= 2 && pos + sizeof(uint64) <= size - sizeof(pg_crc32c))
	{
		uint64		unproven;

		memcpy(&unproven, buf + pos, sizeof(unproven));
		pg_atomic_write_u64(&rp_shared->unproven, unproven);
		pos += sizeof(unproven);
	}
	for (i = 0; i < header.nentries; i++)
	{
		RpFileEntry fe;
		RpStatsEntry *entry;
		char	   *query;
		char	   *source = NULL;
		int32		proof_len = 0;
		const char *proof = "";
		RpFileCall	call = {0, 0};

		if (pos + sizeof(fe) > size - sizeof(pg_crc32c))
			break;
		memcpy(&fe, buf + pos, sizeof(fe));
		pos += sizeof(fe);
		if (fe.query_len < 0 || fe.source_len < -1 ||
			pos + fe.query_len + Max(fe.source_len, 0) >
			size - sizeof(pg_crc32c))
			break;
		query = pnstrdup(buf + pos, fe.query_len);
		pos += fe.query_len;
		if (fe.source_len >= 0)
		{
			source = pnstrdup(buf + pos, fe.source_len);
			pos += fe.source_len;
		}
		if (header.format >= 2)
		{
			if (pos + sizeof(proof_len) > size - sizeof(pg_crc32c))
				break;
			memcpy(&proof_len, buf + pos, sizeof(proof_len));
			pos += sizeof(proof_len);
			if (proof_len < 0 || proof_len >= RP_PROOF_LEN ||
				pos + proof_len > size - sizeof(pg_crc32c))
				break;
			proof = pnstrdup(buf + pos, proof_len);
			pos += proof_len;
		}
		if (header.format >= 3)
		{
			if (pos + sizeof(call) > size - sizeof(pg_crc32c))
				break;
			memcpy(&call, buf + pos, sizeof(call));
			pos += sizeof(call);
			if (call.start + call.len >= RP_SUGGESTION_LEN)
				call.len = 0;
		}

		/* names were NUL-terminated when written; make sure of it */
		fe.desc.relation[sizeof(fe.desc.relation) - 1] = '\0';
		fe.desc.foreign_key[sizeof(fe.desc.foreign_key) - 1] = '\0';
		fe.desc.suggestion[sizeof(fe.desc.suggestion) - 1] = '\0';

		if (hash_search(rp_hash, &fe.key, HASH_FIND, NULL) == NULL &&
			hash_get_num_entries(rp_hash) < rp_max_entries)
		{
			entry = rp_entry_create(&fe.key, fe.counters.first_seen);
			entry->counters = fe.counters;
			entry->usage = fe.usage;
			entry->queryid = fe.queryid;
			entry->desc.relid = fe.desc.relid;
			memcpy(entry->desc.relation, fe.desc.relation,
				   sizeof(entry->desc.relation));
			memcpy(entry->desc.foreign_key, fe.desc.foreign_key,
				   sizeof(entry->desc.foreign_key));
			memcpy(entry->desc.suggestion, fe.desc.suggestion,
				   sizeof(entry->desc.suggestion));
			entry->desc.call_start = call.start;
			entry->desc.call_len = call.len;
			strlcpy(entry->proof, proof, sizeof(entry->proof));
			rp_set_text(entry, 0, query);
			rp_set_text(entry, 1, source);
		}
		pfree(query);
		if (source)
			pfree(source);
	}
	if (i < header.nentries)
		ereport(LOG,
				(errmsg("relprefetch file \"%s\" ends early: %d of %d entries loaded",
						RP_STATS_FILE, i, header.nentries)));
}
