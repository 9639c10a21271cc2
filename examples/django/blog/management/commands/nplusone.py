"""Run each of the article's functions and show what relprefetch saw.

    /usr/bin/python3 manage.py nplusone           # a readable report
    /usr/bin/python3 manage.py nplusone --json    # everything, as one JSON document

For each function (naive loops and their fixes), in Django's default
autocommit mode and inside transaction.atomic(): the SQL Django sent and the
rows of relprefetch.stats for that run (relation, source query, suggestion).
Then, for each fix, the data Django built (select_related, prefetch_related,
Prefetch, only()) next to what the equivalent relprefetch call returns, the
suggested call itself for the naive loops.

Each run is a unit of work of its own: before it, an explicit transaction
calls relprefetch.reset() (a transaction started by BEGIN ends the unit
before it), so the runs never merge however fast they follow each other.
Needs a role that may call relprefetch.reset() (a superuser, or a GRANT).
"""
import datetime
import json
import re

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from blog import queries

STATS_SQL = """
SELECT query, units, calls, max_repeats, source_query, relation,
       foreign_key, suggestion
FROM relprefetch.stats
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY query
"""
STATS_COLUMNS = ["query", "units", "calls", "max_repeats", "source_query",
                 "relation", "foreign_key", "suggestion"]


def new_unit():
    """Forget the statistics, in an explicit transaction: the next
    statement starts a unit of work of its own."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT relprefetch.reset()")


def stats():
    with connection.cursor() as cursor:
        cursor.execute(STATS_SQL)
        return [dict(zip(STATS_COLUMNS, row)) for row in cursor.fetchall()]


# Django 4.2 and later also record an atomic block's BEGIN and COMMIT:
# only the statements the functions send count here.
TRANSACTION_SQL = re.compile(
    r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b")


def run(fn, mode):
    """Run fn in its own unit of work; return the posts it went through and
    a record of what Django sent and what relprefetch.stats shows."""
    new_unit()
    lines = []
    with CaptureQueriesContext(connection) as captured:
        if mode == "atomic":
            with transaction.atomic():
                posts = list(fn(out=lines.append))
        else:
            posts = list(fn(out=lines.append))
    return posts, {
        "function": fn.__name__,
        "mode": mode,
        "lines": lines,
        "queries": [q["sql"] for q in captured.captured_queries
                    if not TRANSACTION_SQL.match(q["sql"])],
        "stats": stats(),
    }


def suggested_sql(suggestion):
    """The relprefetch call named in a suggestion (the SQL after "with",
    without the "(in Django: ...)" hint)."""
    body = suggestion.split(" (in Django: ")[0]
    m = re.search(r"(SELECT (?:\* FROM )?relprefetch\.fetch_(?:json|children)\(.*\))$",
                  body)
    return m.group(1) if m else None


def fetch(sql):
    """Rows of a fetch_json call as {post id: object}, of a fetch_children
    call as {post id: array of child rows}; keys as strings (JSON)."""
    with connection.cursor() as cursor:
        if "fetch_children" in sql:
            cursor.execute("SELECT (s.parent).id, to_json(s.children) "
                           f"FROM ({sql}) AS s")
            return {str(pid): _json(children)
                    for pid, children in cursor.fetchall()}
        cursor.execute(sql)
        objs = [_json(row[0]) for row in cursor.fetchall()]
        return {str(obj["id"]): obj for obj in objs}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _ts(value):
    """A datetime as to_json renders a timestamptz (session time zone UTC)."""
    return value.astimezone(datetime.timezone.utc).isoformat()


def row(obj, *fields):
    out = {}
    for f in fields:
        value = getattr(obj, f)
        out[f] = _ts(value) if isinstance(value, datetime.datetime) else value
    return out


def by_id(rows):
    return sorted(rows, key=lambda r: r["id"])


def comparisons(naive_stats):
    """Django's prefetched objects next to relprefetch's answer, per fix.

    naive_stats maps a naive function's name to its relprefetch.stats rows:
    the suggested call of each loop is run as it is written there."""
    out = []

    def suggestion_of(name):
        rows = naive_stats.get(name) or [{}]
        return suggested_sql(rows[0].get("suggestion") or "")

    def add(name, fn, sql, django_side, relprefetch_side):
        out.append({"name": name, "function": fn.__name__, "sql": sql,
                    "django": django_side, "relprefetch": relprefetch_side})

    # post.author: select_related("author") vs the author loop's suggestion
    fn = queries.list_posts_optimized
    posts, _ = run(fn, "autocommit")
    sql = suggestion_of("list_posts_naive")
    add("author", fn, sql,
        {str(p.id): row(p.author, "id", "name", "country_id") for p in posts},
        {k: o["author"] for k, o in fetch(sql).items()} if sql else None)

    # post.tags: prefetch_related("tags") vs the tags loop's suggestion
    fn = queries.list_posts_with_tags_optimized
    posts, _ = run(fn, "autocommit")
    sql = suggestion_of("list_posts_with_tags_naive")
    add("tags", fn, sql,
        {str(p.id): by_id(row(t, "id", "name", "active") for t in p.tags.all())
         for p in posts},
        {k: by_id(v) for k, v in fetch(sql).items()} if sql else None)

    # post.comments: prefetch_related("comments") vs the comments loop's
    # suggestion, every column of the comments
    fn = queries.list_posts_with_comments_optimized
    posts, _ = run(fn, "autocommit")
    sql = suggestion_of("list_posts_with_comments_naive")
    add("comments", fn, sql,
        {str(p.id): by_id(row(c, "id", "post_id", "parent_id", "author_name",
                              "body", "created")
                          for c in p.comments.all())
         for p in posts},
        {k: by_id(v) for k, v in fetch(sql).items()} if sql else None)

    # Prefetch("tags", queryset=active tags by name, to_attr="active_tags"):
    # the order matters
    fn = queries.list_posts_active_tags
    posts, _ = run(fn, "autocommit")
    sql = ("SELECT relprefetch.fetch_json('public.blog_post', "
           "'{\"include\": {\"active_tags\": {\"path\": \"tags\", "
           "\"where\": \"active\", \"order_by\": \"name\"}}}')")
    add("active_tags", fn, sql,
        {str(p.id): [row(t, "id", "name", "active") for t in p.active_tags]
         for p in posts},
        {k: o["active_tags"] for k, o in fetch(sql).items()})

    # select_related("author__country"): author 10 has no country
    fn = queries.list_posts_with_country
    posts, _ = run(fn, "autocommit")
    sql = ("SELECT relprefetch.fetch_json('public.blog_post', "
           "'{\"include\": [\"author__country\"]}')")
    add("author__country", fn, sql,
        {str(p.id): dict(row(p.author, "id", "name", "country_id"),
                         country=(row(p.author.country, "id", "name", "code")
                                  if p.author.country else None))
         for p in posts},
        {k: o["author"] for k, o in fetch(sql).items()})

    # select_related("author").only("title", "author__name")
    fn = queries.list_posts_only
    posts, _ = run(fn, "autocommit")
    sql = ("SELECT relprefetch.fetch_json('public.blog_post', "
           "'{\"columns\": [\"id\", \"title\"], "
           "\"include\": {\"author\": {\"columns\": [\"id\", \"name\"]}}}')")
    add("only", fn, sql,
        {str(p.id): dict(row(p, "id", "title"),
                         author=row(p.author, "id", "name"))
         for p in posts},
        fetch(sql))

    # select_related("author") + Prefetch("tags", Tag.objects.only("name"),
    # to_attr="tag_list")
    fn = queries.list_posts_full
    posts, _ = run(fn, "autocommit")
    sql = ("SELECT relprefetch.fetch_json('public.blog_post', "
           "'{\"columns\": [\"id\"], \"include\": {\"author\": {}, "
           "\"tag_list\": {\"path\": \"tags\", \"columns\": [\"id\", \"name\"]}}}')")
    add("full", fn, sql,
        {str(p.id): {"author": row(p.author, "id", "name", "country_id"),
                     "tag_list": by_id(row(t, "id", "name") for t in p.tag_list)}
         for p in posts},
        {k: {"author": o["author"], "tag_list": by_id(o["tag_list"])}
         for k, o in fetch(sql).items()})
    return out


class Command(BaseCommand):
    help = "Run the article's functions and show what relprefetch.stats says."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true",
                            help="print everything as one JSON document")

    def handle(self, *args, **options):
        scenarios = []
        for mode in ("autocommit", "atomic"):
            for fn in queries.NAIVE + queries.OPTIMIZED:
                _, record = run(fn, mode)
                scenarios.append(record)
        naive_stats = {s["function"]: s["stats"] for s in scenarios
                       if s["mode"] == "autocommit"}
        report = {"scenarios": scenarios,
                  "comparisons": comparisons(naive_stats)}
        new_unit()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=1, sort_keys=True))
        else:
            self.show(report)

    def show(self, report):
        w = self.stdout.write
        for s in report["scenarios"]:
            n = len(s["queries"])
            w(f"{s['function']} ({s['mode']}): "
              f"{n} {'query' if n == 1 else 'queries'}"
              + ("" if s["stats"] else ", nothing in relprefetch.stats"))
            for r in s["stats"]:
                w(f"  relprefetch.stats: {r['calls']} x {r['query']}")
                w(f"    source_query: {r['source_query']}")
                w(f"    relation:     {r['relation']}")
                w(f"    foreign_key:  {r['foreign_key']}")
                w(f"    suggestion:   {r['suggestion']}")
        w("")
        for c in report["comparisons"]:
            same = c["django"] == c["relprefetch"]
            w(f"{c['function']}: {c['sql']} returns "
              + ("the same data" if same else "DIFFERENT data"))
