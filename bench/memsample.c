/*
 * bench/memsample.c: the memory measurement of bench/run.sh (section 3).
 *
 * In a new connection, runs the statement of SQLFILE, reading its rows one
 * at a time (single-row mode, so that the client holds none), while a
 * thread reads the backend's /proc/PID/status every MS ms (default 10).
 * It must run on the server's machine, as root or the server's user.
 * Prints one line:
 *   PID ROWS BYTES MS ANON_BEFORE ANON_PEAK HWM_BEFORE HWM_AFTER RSS_BEFORE RSS_PEAK
 * memory in kB: RssAnon (private memory: palloc'd contexts, hash tables,
 * sort memory; not shared buffers), VmHWM (the kernel's exact peak of the
 * resident set, which includes every shared buffer the backend touched),
 * VmRSS; BYTES the bytes of every value received, MS the time from sending
 * the statement to its last row.
 *
 * Usage: memsample -d CONNINFO -f SQLFILE [-i MS]
 *
 * Build: gcc -O2 -pthread -I$(pg_config --includedir) memsample.c -L$(pg_config --libdir) -lpq
 */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#define PROGNAME "memsample"
#include "common.h"

typedef struct
{
	long		anon,
				rss,
				hwm;
} Status;

static pid_t mem_pid;
static volatile int mem_sampling;
static long mem_peak_anon,
			mem_peak_rss;
static int	mem_interval_ms = 10;

static bool
read_status(pid_t pid, Status *st)
{
	char		path[64],
				line[256];
	FILE	   *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	st->anon = st->rss = st->hwm = -1;
	while (fgets(line, sizeof(line), f))
	{
		if (strncmp(line, "RssAnon:", 8) == 0)
			st->anon = atol(line + 8);
		else if (strncmp(line, "VmRSS:", 6) == 0)
			st->rss = atol(line + 6);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			st->hwm = atol(line + 6);
	}
	fclose(f);
	return st->anon >= 0 && st->rss >= 0 && st->hwm >= 0;
}

static void *
sampler(void *arg)
{
	struct timespec ts = {0, mem_interval_ms * 1000000L};

	(void) arg;
	while (mem_sampling)
	{
		Status		st;

		if (read_status(mem_pid, &st))
		{
			if (st.anon > mem_peak_anon)
				mem_peak_anon = st.anon;
			if (st.rss > mem_peak_rss)
				mem_peak_rss = st.rss;
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
measure(const char *conninfo, const char *file)
{
	char	   *sql = read_file(file);
	PGconn	   *conn = connect_db(conninfo);
	Status		before,
				after;
	pthread_t	th;
	PGresult   *r;
	long		rows = 0;
	long long	bytes = 0;
	double		t0,
				ms;

	mem_pid = PQbackendPID(conn);
	if (!read_status(mem_pid, &before))
		die("cannot read /proc/%d/status (the client must run on the server's machine, as root or the server's user)", (int) mem_pid);
	mem_peak_anon = before.anon;
	mem_peak_rss = before.rss;
	mem_sampling = 1;
	if (pthread_create(&th, NULL, sampler, NULL) != 0)
		die("pthread_create failed");

	t0 = now_ms();
	if (!PQsendQuery(conn, sql))
		die("sending the query failed: %s", PQerrorMessage(conn));
	if (!PQsetSingleRowMode(conn))
		die("single-row mode refused");
	while ((r = PQgetResult(conn)) != NULL)
	{
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE)
		{
			for (int c = 0; c < PQnfields(r); c++)
				bytes += PQgetlength(r, 0, c);
			rows++;
		}
		else if (st != PGRES_TUPLES_OK)
			die("the query failed: %s", PQerrorMessage(conn));
		PQclear(r);
	}
	ms = now_ms() - t0;

	/* one more sample once the query is over; VmHWM misses nothing */
	mem_sampling = 0;
	pthread_join(th, NULL);
	if (!read_status(mem_pid, &after))
		die("cannot read /proc/%d/status", (int) mem_pid);
	if (after.anon > mem_peak_anon)
		mem_peak_anon = after.anon;
	printf("%d %ld %lld %.3f %ld %ld %ld %ld %ld %ld\n", (int) mem_pid, rows, bytes, ms,
		   before.anon, mem_peak_anon, before.hwm, after.hwm, before.rss, mem_peak_rss);
	PQfinish(conn);
	free(sql);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: memsample -d CONNINFO -f SQLFILE [-i MS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conninfo = NULL,
			   *file = NULL;
	int			opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "d:f:i:h")) != -1)
	{
		switch (opt)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 'f':
				file = optarg;
				break;
			case 'i':
				mem_interval_ms = atoi(optarg);
				if (mem_interval_ms < 1)
					usage();
				break;
			default:
				usage();
		}
	}
	if (!conninfo || !file || optind != argc)
		usage();
	return measure(conninfo, file);
}
