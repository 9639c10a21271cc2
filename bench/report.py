#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the raw figures of a bench/run.sh run.

Usage: python3 bench/report.py DIR [--out FILE]
       python3 bench/report.py DIR --summary

DIR is the work folder of the run (tmp/run; bench/run.sh names it at the
end). With --out, writes the report to FILE; without, prints it. With
--summary, prints the main tables only (bench/run.sh shows them at the
end of a run).

What it reads from DIR, every table with a header line naming its columns:
  meta.txt            NAME=VALUE: the command, its options, the machine's
                      CPU count and clock ticks, the sections run, ...
  machine.txt         the machine's description (Markdown list items)
  load.txt            SECTION|LOAD AVERAGES as each section started
  settings.txt        the cluster's settings, "name = value" (sections 1b-3)
  scales.tsv          per scale: rows loaded, rounds run
  overhead.tsv        section 1a, from bench/overhead.sh --tsv
  pgbench.txt         section 1b: one line per pgbench run
  pgbench-units.tsv   section 1b: what relprefetch.stats recorded
  fetch.tsv           section 2: one line per timed execution
  memory.txt          section 3: one line per measurement
  sql/, n_plus_1.pgbench   the statements, shown at the end
"""

import argparse
import os
import sys

# The contenders of section 2, in the order of the tables
STRATEGIES = ["fetch_json", "fetch_children", "hand", "postgrest", "lateral", "prefetch", "n_plus_1"]
STRATEGY_LABELS = {
    "fetch_json": "relprefetch.fetch_json (1 statement)",
    "fetch_children": "relprefetch.fetch_children: comments, tags + 1 join for author/country (3 statements)",
    "hand": "hand-written SQL (GROUP BY pre-aggregation, hash joins)",
    "postgrest": "PostgREST's SQL (correlated json_agg subqueries)",
    "lateral": "LEFT JOIN LATERAL + json_agg (Prisma relationJoins, Hasura)",
    "prefetch": "client: 1 query per relation, merged in memory (prefetch_related)",
    "n_plus_1": "client: N+1 loop (prepared statements)",
}

# The contenders of section 3
MEMORY_LABELS = {
    "fetch_json": "relprefetch.fetch_json (fetch_batch_size 10000, the default)",
    "fetch_json_b1000": "relprefetch.fetch_json, fetch_batch_size = 1000",
    "fetch_children": "relprefetch.fetch_children, its biggest call (the posts with their comment arrays)",
    "hand": "hand-written SQL",
    "postgrest": "PostgREST's SQL",
}

# bench/overhead.sh's inputs, in the order of the columns
OVERHEAD_INPUTS = ["point", "fresh", "loop", "rows", "copy"]

NOT_RUN = "(not run: --only)"


# ---------------------------------------------------------------------------
# Reading


def read_table(path, sep="\t"):
    """The rows of a table with a header line, as dicts by column name."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines:
        return []
    names = lines[0].split(sep)
    return [dict(zip(names, line.split(sep))) for line in lines[1:] if line != ""]


def read_meta(path):
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            name, _, value = line.partition("=")
            meta[name] = value
    return meta


def read_text(path):
    """A file's text without its final newlines (as the shell's $(cat))."""
    with open(path, encoding="utf-8") as f:
        return f.read().rstrip("\n")


# ---------------------------------------------------------------------------
# Numbers


def fmt_num(n):
    """An integer with thousands separators."""
    return f"{int(n):,}"


def median(v):
    v = sorted(v)
    n = len(v)
    return v[(n - 1) // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def f(x):
    """Three significant figures or so."""
    if x < 1:
        return "%.3f" % x
    if x < 10:
        return "%.2f" % x
    if x < 100:
        return "%.1f" % x
    return "%.0f" % x


def cell(v):
    """'median (min–max)'."""
    if not v:
        return "-"
    return "%s (%s–%s)" % (f(median(v)), f(min(v)), f(max(v)))


def ratio_cell(v):
    """A ratio, bold, with its range."""
    if not v:
        return "-"
    return "**%.2f×** (%.2f–%.2f)" % (median(v), min(v), max(v))


def g6(x):
    """x as awk prints it (%.6g), read back."""
    return float("%.6g" % x)


# ---------------------------------------------------------------------------
# Section 1a: instructions per statement (bench/overhead.sh)


def overhead_section(rows):
    """One row per configuration, one column per input: instructions per
    statement without a library, extra instructions and percent over it
    for the others, with the verdict of issue 11's target where there is
    one; then what each run exercised."""
    by = {(r["id"], r["input"]): r for r in rows}
    inputs = [i for i in OVERHEAD_INPUTS if any(r["input"] == i for r in rows)]
    labels = {r["input"]: r["input_label"] for r in rows}
    ids = []
    for r in rows:
        if r["id"] not in ids:
            ids.append(r["id"])
    out = [
        "| configuration |" + "".join(" %s |" % labels[i] for i in inputs),
        "|---|" + "---:|" * len(inputs),
    ]
    for id_ in ids:
        line = "| %s |" % next(r["configuration"] for r in rows if r["id"] == id_)
        for i in inputs:
            r = by.get((id_, i))
            if r is None:
                line += " |"
            elif r["compared_with"] == r["id"]:
                line += " %s |" % fmt_num("%.0f" % float(r["ir_per_statement"]))
            else:
                extra_ir = float(r["extra_ir"])
                c = "%s%s (%+.2f%%)" % ("-" if extra_ir < 0 else "+",
                                       fmt_num("%.0f" % abs(extra_ir)), float(r["extra_pct"]))
                if r["target"] == "met":
                    c = "**%s** within" % c
                elif r["target"] == "MISSED":
                    c = "**%s** over" % c
                line += " %s |" % c
        out.append(line)
    out += [
        "",
        "What each run exercised, per statement of the long run beyond the short one:",
        "",
        "| configuration | input | N1, N2 statements | instructions per statement | exercised |",
        "|---|---|---:|---:|---|",
    ]
    for i in inputs:
        for id_ in ids:
            r = by.get((id_, i))
            if r is None:
                continue
            out.append("| %s | %s | %s, %s | %s | %s |" % (
                r["configuration"], r["input"], fmt_num(r["n_short"]), fmt_num(r["n_long"]),
                fmt_num("%.0f" % float(r["ir_per_statement"])), r["exercised"]))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Section 1b: pgbench


def pgbench_section(rows, clock_ticks):
    tick_us = 1000000 // clock_ticks
    tps, cpu = {}, {}
    runs = 0
    for r in rows:
        key = (int(r["run"]), r["config"], r["workload"])
        tps[key] = float(r["tps"])
        cpu[key] = float(r["server_cpu_ticks"]) * tick_us / float(r["transactions"])
        runs = max(runs, key[0])

    def row(workload, label, what, x):
        a, b, q = [], [], []
        for n in range(1, runs + 1):
            without, with_ = (n, "without", workload), (n, "with", workload)
            if without in x:
                a.append(x[without])
            if with_ in x:
                b.append(x[with_])
            if without in x and with_ in x and x[without] > 0:
                q.append(x[with_] / x[without])
        ratio = ("**%.3f** (%.3f–%.3f)" % (median(q), min(q), max(q))) if q else "-"
        return "| %s | %s | %s | %s | %s |" % (label, what, cell(a), cell(b), ratio)

    out = [
        "| workload | measure | without relprefetch: median (min–max) | with relprefetch: median (min–max) | with ÷ without, per run: median (min–max) |",
        "|---|---|---:|---:|---:|",
        row("select_only", "select-only (`pgbench -S`)", "tps", tps),
        row("select_only", "", "server CPU µs per transaction", cpu),
        row("n_plus_1", "N+1 script (1 page query + 10 author lookups per transaction)", "tps", tps),
        row("n_plus_1", "", "server CPU µs per transaction", cpu),
        "",
        'Every run ("order": which configuration ran first in each pair; CPU: server CPU µs per transaction):',
        "",
        "| run | order | select-only tps without | with | ratio | CPU without | with | ratio | N+1 tps without | with | ratio | CPU without | with | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in range(1, runs + 1):
        line = "| %d | %s |" % (n, "without, with" if n % 2 else "with, without")
        for w in ("select_only", "n_plus_1"):
            t0, t1 = tps.get((n, "without", w), 0), tps.get((n, "with", w), 0)
            u0, u1 = cpu.get((n, "without", w), 0), cpu.get((n, "with", w), 0)
            line += " %.0f | %.0f | %.3f | %.1f | %.1f | %.3f |" % (
                t0, t1, t1 / t0, u0, u1, u1 / u0 if u0 > 0 else 0)
        out.append(line)
    return "\n".join(out)


def pgbench_units(path):
    """The table rows of what relprefetch recorded, or None when not run."""
    if not os.path.exists(path):
        return None
    rows = read_table(path)
    if not rows:
        return "| (none) | | | |"
    return "\n".join("| `%s` | %s | %s | %s |" % (
        r["query"], r["units"], r["calls"], r["max_repeats"]) for r in rows)


# ---------------------------------------------------------------------------
# Section 2: fetch


class Fetch:
    """The timed executions of fetch.tsv."""

    def __init__(self, rows, scales):
        self.rows = rows
        self.scales = scales

    @staticmethod
    def strategies(rows):
        """The contenders present in rows, in table order."""
        seen = {r["strategy"] for r in rows}
        return [c for c in STRATEGIES if c in seen]

    def table(self, kind, w):
        """One row per contender; per scale, median (min–max) and the
        median of the per-round ratios to fetch_json."""
        header, sep = "| contender |", "|---|"
        for s in self.scales:
            header += " %s posts: ms, median (min–max) | ÷ fetch_json, per round |" % fmt_num(s)
            sep += "---:|---:|"
        out = [header, sep]
        t = {}
        rounds = {}
        mine = [r for r in self.rows
                if r["kind"] == kind and r["workload"] == w and int(r["round"]) > 0]
        for r in mine:
            rnd = int(r["round"])
            t[r["scale"], r["strategy"], rnd] = float(r["ms"])
            rounds[r["scale"]] = max(rounds.get(r["scale"], 0), rnd)
        for c in self.strategies(mine):
            line = "| %s |" % STRATEGY_LABELS[c]
            for s in self.scales:
                v, q = [], []
                for rnd in range(1, rounds.get(s, 0) + 1):
                    if (s, c, rnd) in t:
                        v.append(t[s, c, rnd])
                        base = t.get((s, "fetch_json", rnd), 0)
                        if base > 0:
                            q.append(t[s, c, rnd] / base)
                line += " %s | %s |" % (cell(v), "1" if c == "fetch_json" else ratio_cell(q))
            out.append(line)
        return "\n".join(out)

    def growth(self, w):
        """Median at each scale over the median at the scale before."""
        header, sep = "| contender |", "|---|"
        for a, b in zip(self.scales, self.scales[1:]):
            header += " server-side, %s → %s posts | end to end |" % (fmt_num(a), fmt_num(b))
            sep += "---:|---:|"
        out = [header, sep]
        v = {}
        mine = [r for r in self.rows if r["workload"] == w and int(r["round"]) > 0]
        for r in mine:
            v.setdefault((r["kind"], r["scale"], r["strategy"]), []).append(float(r["ms"]))
        for c in self.strategies(mine):
            line = "| %s |" % STRATEGY_LABELS[c]
            for a, b in zip(self.scales, self.scales[1:]):
                for kind in ("srv", "e2e"):
                    va, vb = v.get((kind, a, c)), v.get((kind, b, c))
                    line += " %s |" % ("×%.1f" % (median(vb) / median(va)) if va and vb else "-")
            out.append(line)
        return "\n".join(out)

    def queries(self):
        """Queries per fetch and MB received, end to end."""
        header, sep = "| contender |", "|---|"
        for s in self.scales:
            header += " %s: queries, whole graph | MB received | queries, page |" % fmt_num(s)
            sep += "---:|---:|---:|"
        out = [header, sep]
        q, b = {}, {}
        mine = [r for r in self.rows if r["kind"] == "e2e" and int(r["round"]) > 0]
        for r in mine:
            key = (r["scale"], r["workload"], r["strategy"])
            q[key], b[key] = r["queries"], float(r["bytes"])
        for c in self.strategies(mine):
            line = "| %s |" % STRATEGY_LABELS[c]
            for s in self.scales:
                line += " %s | %.1f | %s |" % (
                    q.get((s, "A", c), ""), b.get((s, "A", c), 0) / 1e6, q.get((s, "B", c), ""))
            out.append(line)
        return "\n".join(out)

    def rounds(self, kind, w, s):
        """Every round (0: the warm-up), one column per contender."""
        mine = [r for r in self.rows
                if r["kind"] == kind and r["scale"] == s and r["workload"] == w]
        t = {(int(r["round"]), r["strategy"]): r["ms"] for r in mine}
        last = max((int(r["round"]) for r in mine), default=0)
        cs = self.strategies(mine)
        out = ["| round |" + "".join(" %s |" % c for c in cs),
               "|---:|" + "---:|" * len(cs)]
        for rnd in range(0, last + 1):
            out.append("| %s |" % ("warm-up" if rnd == 0 else rnd)
                       + "".join(" %s |" % t.get((rnd, c), "") for c in cs))
        return "\n".join(out)


def fetch_section(fetch, scales):
    data_table = "\n".join(
        ["| posts | authors | comments | post-tag links (to active tags) | page posts |",
         "|---:|---:|---:|---:|---:|"]
        + ["| %s | %s | %s | %s (%s) | %s |" % (
            fmt_num(r["posts"]), fmt_num(r["authors"]), fmt_num(r["comments"]),
            fmt_num(r["post_tags"]), fmt_num(r["active_post_tags"]), r["page_posts"])
           for r in scales])
    rounds_note = "\n".join(
        "- %s posts: %s rounds on the whole graph (the N+1 client: %s), %s on the page" % (
            fmt_num(r["scale"]), r["whole_graph_rounds"], r["n_plus_1_rounds"], r["page_rounds"])
        for r in scales)
    return f"""Data (`demo/blog.sql`, then VACUUM ANALYZE):

{data_table}

Each contender builds, for every post, its columns, its `author` with the
author's `country`, its `comments` in id order and its active tags
(`active_tags`) in name order.

- **A, the whole graph**: every post.
- **B, a page**: author 7's newest posts (`ORDER BY published DESC, id DESC
  LIMIT 20`). demo/blog.sql gives every author exactly 10 posts at every
  scale (1 author per 10 posts), so the page holds 10 posts, not 20.

The contenders (their SQL is at the end):

- **fetch_json**: `relprefetch.fetch_json('blog_post', spec)`, one row of
  JSON per post.
- **fetch_children**: it returns the parent rows with *one* to-many
  relation as an array of the child table's rows, so it applies to the
  comments (reverse foreign key) and the tags (many-to-many), one call
  each; it does not do to-one relations (the author, the author's
  country), which one plain join fetches here. Three independent
  statements, merged by key in the client; it has no parent order or
  limit, so the page's posts are chosen by a subquery in `parent_where`
  and sorted by the client.
- **hand**: the best single hand-written statement we found: children
  pre-aggregated with `GROUP BY` (`json_agg` over pre-sorted rows),
  hash-joined to the posts.
- **postgrest**: the statement PostgREST generates: one correlated
  `json_agg` subquery per relation per row.
- **lateral** (server-side only): the shape Prisma's `relationJoins` and
  Hasura generate: one `LEFT JOIN LATERAL` subquery per relation per row,
  its rows ordered in a subquery and aggregated with `json_agg`.
- **prefetch** (client only): what Django's `prefetch_related` does: the
  posts, then one query per relation (authors, countries, tags through the
  junction, comments) with the keys gathered from the rows before as an
  array parameter, merged into the structure by key: 5 queries.
- **n_plus_1** (client only): an ORM's lazy loading: the posts, then for
  each post its author, the author's country (each post gets its own
  author object, as in Django; not for authors without one), its tags and
  its comments, each a prepared statement sent on its own: about 4 round
  trips per post.

Before timing, at every scale, the three single statements are checked to
return the same JSON objects (as jsonb and as whitespace-free text, so
key order counts; for the page, in the same order), and the client checks
that every strategy built the same structure: the same posts, authors,
countries, comments and tags, the same keys and the bytes of every text
value (a checksum that leaves out only the timestamps, whose text differs
between JSON and PostgreSQL's output; for the page, in the same order).

**Server-side** times are `EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)`
"Execution Time": the rows are built but not sent. All in one session,
after one warm-up execution of each (fetch_json caches its plans per
session, as a pooled connection would); fetch_children is the sum of its
three statements. The two client-side strategies have no single statement
to explain: prefetch's queries take the keys the previous ones returned,
and the N+1 loop's cost is its round trips, so adding up its statements'
server times would leave out what makes it slow. They are measured end to
end only.

**First call**: each round runs every single statement (but
fetch_children) in a new session of its own, three times, the contenders
in an order that rotates from round to round; the first call's time is
set against the same session's third call. The time is the whole
statement's at psql over the socket (`\\timing`): EXPLAIN's Planning Time
leaves out parse analysis, where a new session opens a statement's tables
and loads their catalog entries, which fetch_json does during its
execution. The first call pays for loading the session's catalog caches,
parsing and planning (fetch_json: planning and preparing its queries, at
execution) and faulting its memory in; its ratios are taken within the
round.

**End to end** is `bench/client.c` over TCP on 127.0.0.1, from sending
the first statement to having the structure built: every value received
(JSON parsed, arrays of records parsed from their text form, typed
columns read), results buffered whole as most drivers do
(`PQexec`), one connection per strategy, each warmed up with one untimed
execution (the N+1 client: its first 100 posts); planning is included.

Rounds: each round runs every contender once, in an order that rotates
from round to round; "÷ fetch_json" is the median (min–max) of the
contender's time divided by fetch_json's *in the same round* (above 1:
slower than fetch_json).

{rounds_note}

### A. The whole graph, server-side (ms)

{fetch.table("srv", "A")}

### A. The whole graph, end to end at the client (ms)

{fetch.table("e2e", "A")}

### A. The whole graph, first call in a new session, statement time at psql (ms)

{fetch.table("first", "A")}

The same sessions' third call (warm):

{fetch.table("third", "A")}

### B. A page, server-side (ms)

{fetch.table("srv", "B")}

### B. A page, first call in a new session, statement time at psql (ms)

{fetch.table("first", "B")}

The same sessions' third call (warm):

{fetch.table("third", "B")}

### B. A page, end to end at the client (ms)

{fetch.table("e2e", "B")}

### Growth across scales

Median time at a scale divided by the median at the scale before (the
posts grow by the factor of the column); 1.0 is flat.

Whole graph:

{fetch.growth("A")}

Page:

{fetch.growth("B")}

### Queries sent and data received by the client

{fetch.queries()}"""


def raw_rounds_section(fetch):
    out = ""
    for s in fetch.scales:
        for w in ("A", "B"):
            for kind in ("srv", "e2e"):
                out += "\n#### %s posts, %s, %s (ms)\n\n%s\n" % (
                    fmt_num(s), "whole graph" if w == "A" else "page",
                    "server-side" if kind == "srv" else "end to end",
                    fetch.rounds(kind, w, s))
    return out


# ---------------------------------------------------------------------------
# Section 3: memory


def memory_section(rows, scale):
    by = {}
    for r in rows:
        by.setdefault(r["contender"], []).append(r)
    out = [
        "At %s posts (database blog_%s), the whole graph, each run in a new connection." % (
            fmt_num(scale), scale),
        "",
        "| contender | peak RssAnon growth, MB: median (min–max) | VmHWM growth, MB: median (min–max) | temporary files, MB | end to end, ms (streamed, single-row mode) |",
        "|---|---:|---:|---:|---:|",
    ]
    for c, label in MEMORY_LABELS.items():
        if c not in by:
            continue
        rs = by[c]
        anon = [(float(r["anon_peak"]) - float(r["anon_before"])) / 1024 for r in rs]
        hwm = [(float(r["hwm_after"]) - float(r["hwm_before"])) / 1024 for r in rs]
        tmp = [float(r["temp_bytes"]) / 1048576 for r in rs]
        ms = [float(r["ms"]) for r in rs]
        out.append("| %s | %s | %s | %s | %s |" % (label, cell(anon), cell(hwm), f(median(tmp)), cell(ms)))
    idle_anon = median([g6(float(r["anon_before"]) / 1024) for r in rows])
    idle_hwm = median([g6(float(r["hwm_before"]) / 1024) for r in rows])
    out += ["", "Idle new backend (before the query), median: RssAnon %.1f MB, VmHWM %.1f MB." % (
        g6(idle_anon), g6(idle_hwm))]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The report


class Run:
    def __init__(self, d):
        self.dir = d
        self.meta = read_meta(self.path("meta.txt"))
        self.sections = set(self.meta["sections"].split(","))
        self.scales = self.meta["scales"].split(",")
        self.scale_rows = read_table(self.path("scales.tsv"))
        self.fetch = Fetch(read_table(self.path("fetch.tsv"), " ") if self.wants("fetch") else [],
                           self.scales)

    def path(self, name):
        return os.path.join(self.dir, name)

    def wants(self, section):
        return section in self.sections

    def overhead(self):
        if not self.wants("overhead"):
            return NOT_RUN
        return overhead_section(read_table(self.path("overhead.tsv")))

    def pgbench(self):
        if not self.wants("pgbench"):
            return NOT_RUN
        return pgbench_section(read_table(self.path("pgbench.txt"), " "), int(self.meta["clock_ticks"]))

    def memory(self):
        if not self.wants("memory"):
            return NOT_RUN
        return memory_section(read_table(self.path("memory.txt"), " "), self.scales[-1])

    def machine(self):
        m = self.meta
        out = [read_text(self.path("machine.txt")),
               "- load averages (1, 5, 15 min, /proc/loadavg) as each section started; this benchmark alone keeps one or two processes busy, more means other work on the machine:"]
        out += ["  - %s: %s" % (r["section"], r["load"]) for r in read_table(self.path("load.txt"), "|")]
        if m["so_end"] != m["so_start"]:
            out.append("- **warning**: %s changed during the run (sha256 %s at the start); the figures may mix two builds" % (
                m["so_path"], m["so_start"]))
        if os.path.exists(self.path("settings.txt")):
            out.append("- cluster settings (all others are the defaults): listen_addresses = 127.0.0.1, fsync = off, jit = off, autovacuum = off, shared_buffers = 512MB, log_temp_files = 0; as seen by the server:")
            out += ["  - " + line for line in read_text(self.path("settings.txt")).split("\n")]
        return "\n".join(out)

    def sql(self):
        sqldir = self.path("sql")
        names = sorted(os.listdir(sqldir))
        files = []
        for w in ("A", "B"):
            for c in ("rp", "fc", "hand", "pgrst", "lat"):
                files += [n for n in ["%s-%s.sql" % (w, c)] if n in names]
                files += [n for n in names if n.startswith("%s-%s." % (w, c)) and n.endswith(".sql")
                          and n != "%s-%s.sql" % (w, c)]
        files += [n for n in ("A-posts.sql", "B-posts.sql") if n in names]
        files += [n for n in names if n.startswith("pf-") and n.endswith(".sql")]
        files += [n for n in names if n.startswith("n1-") and n.endswith(".sql")]
        out = "".join("\n#### %s\n\n```sql\n%s\n```\n" % (n, read_text(os.path.join(sqldir, n)))
                      for n in files)
        if self.wants("pgbench"):
            out += "\n#### n_plus_1.pgbench (section 1)\n\n```\n%s\n```\n" % read_text(
                self.path("n_plus_1.pgbench"))
        return out

    def report(self):
        m = self.meta
        statements = m["statements"]
        repeat = m["overhead_repeat"]
        units = pgbench_units(self.path("pgbench-units.tsv")) if self.wants("pgbench") else None
        units_block = ""
        if units:
            units_block = f"""
What relprefetch recorded in that database during the first run (warm-ups
included), from `relprefetch.stats`:

| repeated statement | units | calls | max repeats in a unit |
|---|---:|---:|---:|
{units}
"""
        if m["work_temp"] == "1":
            kept = "are in `%s/` (kept: remove it when done)" % m["work"]
        else:
            kept = "are in `%s/` until the next run" % m["work"]
        raw = raw_rounds_section(self.fetch) if self.wants("fetch") else ""
        fetch = fetch_section(self.fetch, self.scale_rows) if self.wants("fetch") else NOT_RUN
        return f"""# relprefetch benchmarks

Generated by `{m["command"]}` on {m["date"]} (took {m["elapsed"]}).
`bash bench/run.sh --help` lists the options; the raw figures, SQL and logs
{kept}.

How to read the figures: the machine is shared and noisy, so every timed
comparison alternates its contenders run by run (the order rotates), gives
min / median / max over the runs, and takes ratios only between figures
of the same run (the median, min and max of those per-run ratios), never
between figures of different runs. Instruction counts (1a) do not need
this: they repeat exactly. The load averages under "Machine" show whether
other work shared the machine while the timings were taken.

## Machine

{self.machine()}

## 1. Per-statement cost of detection

### 1a. Instructions per statement

`bench/overhead.sh --statements {statements} --rows-statements {m.get("rows_statements", "")} --loop 10`:
each configuration runs each input twice, N1 and N2 statements, through a
single-user backend under callgrind counting the whole process;
instructions per statement = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up
and shut-down cancel out and nothing on a statement's own path is left
out (issue 11's method; this benchmark used to count only inside
`exec_simple_query`). The inputs: a primary-key point SELECT (`SELECT v
FROM t WHERE id = <k>`, 10,000-row table, index scan), each statement its
own unit of work (`relprefetch.unit_gap = 0`): the common path; the same
SELECT with its keywords spelled 256 ways in turn, so that every statement
is lexed rather than matched against a text the backend keeps; the same
SELECTs as short N+1 loops, each transaction `BEGIN`, `SELECT id FROM t
WHERE id BETWEEN <k> AND <k + 9> ORDER BY id`, a point SELECT for each id
returned, `COMMIT`, figures per point SELECT with the source, BEGIN and
COMMIT counted in: the repeat path (a loop detected, and with
`require_proof` proven, in every transaction); a `SELECT id, v FROM t`
returning 10,000 rows, each its own unit, printed by the single-user
backend (over 90% of its instructions, so the percentage is much smaller
than over a connection), and the same SELECT in `COPY ... TO '/dev/null'`,
whose rows go through the output functions into a buffer as they would to
a client. "within" and "over" are issue 11's targets for relprefetch: at
most +1.00% per point SELECT on the common and the repeat path, at most
+1% per 10,000-row SELECT.
`bench/overhead.sh`'s own report, with a per-function breakdown, is
`{m["work"]}/overhead.md`. {"Repeatability: %s." % repeat if repeat else ""}

{self.overhead()}

### 1b. Throughput, pgbench over TCP loopback

pgbench `-M prepared -c 4 -j 2 -T {m["pgbench_time"]}` against 127.0.0.1, client and
server on the same {m["cpus"]} CPUs, in a database with pgbench's tables
(`-s {m["pgbench_scale"]}`) and the blog schema at {fmt_num(m["pgbench_blog"])} posts. Each run measures
each workload twice in a row, the server restarted without and then with
relprefetch in `shared_preload_libraries` (default settings; the other
order every other run), each time after 2 s of the workload untimed;
{m["pgbench_runs"]} run(s). A tps ratio below 1, or a CPU ratio above 1, means
relprefetch costs something. tps suffers from any other work on the
machine; the server's CPU time per transaction (the backends' user +
system time, collected by the postmaster as they exit, divided by the
transactions) much less so. In select-only, each client sends the
same statement back to back (no idle gap of `unit_gap`), so relprefetch
sees one long unit and takes its repeat path (executions of a detected loop); the
N+1 script is the shape relprefetch is for (threshold 5, so every
transaction is a detected loop).

{self.pgbench()}
{units_block}
## 2. Fetching related rows

{fetch}

## 3. Memory: streaming every post

The backend's memory while it runs the whole-graph statement and streams
its rows (the client reads them one at a time, in single-row mode, and
keeps none), in a new connection each time, the contenders rotated from
run to run; {m["mem_runs"]} runs each.

Method: `bench/memsample.c` reads the backend's `/proc/<pid>/status`
before the query and every 10 ms during it. **RssAnon** is the backend's
private (anonymous) resident memory: its memory contexts, hash tables and
sort memory, not shared buffers; the column is its peak while sampled minus
its value in the idle new backend. **VmHWM** is the kernel's exact peak of
the whole resident set, but it counts every page of shared buffers the
backend touched (the tables are in shared buffers here), so it mostly
measures how much data was read; it is shown for completeness. Temporary
files (sorts or hashes spilled past `work_mem`) are not memory: they are
summed from the server log (`log_temp_files = 0`). Memory contexts cannot
be read from another session at their peak
(`pg_log_backend_memory_contexts` gives one moment), hence sampling.

{self.memory()}

## Every round
{raw or chr(10) + "(not run)"}

## The SQL
{self.sql()}
"""

    def summary(self):
        out = ""
        if self.wants("overhead"):
            out += "\n1a. instructions per statement\n\n%s\n" % self.overhead()
        if self.wants("pgbench"):
            out += "\n1b. pgbench\n\n%s\n" % self.pgbench()
        if self.wants("fetch"):
            for title, kind, w in (("whole graph, server-side", "srv", "A"),
                                   ("whole graph, end to end", "e2e", "A"),
                                   ("page, server-side", "srv", "B"),
                                   ("page, end to end", "e2e", "B")):
                out += "\n2. fetch, %s (ms)\n\n%s\n" % (title, self.fetch.table(kind, w))
        if self.wants("memory"):
            out += "\n3. memory\n\n%s\n" % self.memory()
        return out


def main():
    ap = argparse.ArgumentParser(description="Writes BENCHMARKS.md from the raw figures of a bench/run.sh run.")
    ap.add_argument("dir", help="the work folder of the run (tmp/run)")
    ap.add_argument("--out", help="write the report to this file (default: print it)")
    ap.add_argument("--summary", action="store_true", help="print the main tables only")
    args = ap.parse_args()
    run = Run(args.dir)
    if args.summary:
        sys.stdout.write(run.summary())
    elif args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(run.report())
    else:
        sys.stdout.write(run.report())


if __name__ == "__main__":
    main()
