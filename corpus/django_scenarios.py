"""Corpus scenarios run by Django (Debian's python3-django and psycopg2),
with the models of examples/django. Django runs in its default autocommit
mode unless a scenario says otherwise.

    /usr/bin/python3 corpus/django_scenarios.py SCENARIO

Connects through PGHOST, PGPORT, PGDATABASE and PGUSER (the example's
settings). t/015_corpus.pl runs each scenario in a process of its own and
compares relprefetch.stats with corpus/labels.json.
"""
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "django"))
os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from blog import queries  # noqa: E402
from blog.models import Author, Comment, Post  # noqa: E402


def quiet(line):
    pass


def warm_up():
    """Connect and settle, so that the scenario's unit starts afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    time.sleep(0.3)


def fk_naive():
    queries.list_posts_naive(out=quiet)


def m2m_naive():
    queries.list_posts_with_tags_naive(out=quiet)


def filter_after_prefetch():
    queries.list_posts_tags_filtered_naive(out=quiet)


def nested_three_levels():
    # post -> author -> country: one author lookup per post, one country
    # lookup per author that has a country
    for post in Post.objects.all():
        country = post.author.country
        quiet(f"{post.title} by {post.author.name} "
              f"({country.name if country else '-'})")


def interleaved():
    # each post's author and each post's comments: two loops, one body
    for post in Post.objects.all():
        quiet(post.author.name)
        quiet(len(list(post.comments.all())))


def fixes():
    # the article's fixes, one after another: nothing to report
    queries.list_posts_optimized(out=quiet)
    queries.list_posts_with_country(out=quiet)
    queries.list_posts_with_tags_optimized(out=quiet)
    queries.list_posts_active_tags(out=quiet)
    queries.list_posts_with_comments_optimized(out=quiet)
    queries.list_posts_full(out=quiet)


def hot_pool():
    # One persistent connection serving 50 requests 0 to 20 ms apart, in
    # autocommit: each request looks up the "current user" and a setting,
    # then renders a page of posts with their authors.
    rng = random.Random(15)
    for _ in range(50):
        user = Author.objects.get(id=rng.choice([1, 2, 3]))
        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM corpus_setting WHERE key = %s",
                           [rng.choice(["site_name", "page_size", "theme"])])
            cursor.fetchone()
        page = rng.randint(0, 2)
        posts = list(Post.objects.select_related("author")
                     .order_by("-published")[page * 10:page * 10 + 10])
        quiet(f"{user.name}: {len(posts)}")
        time.sleep(rng.uniform(0, 0.020))


def comment_count_loop():
    # not a loop over rows read: one count per fixed post id the
    # application chose (a dashboard of "featured" posts), 6 of them
    for post_id in [3, 7, 11, 19, 23, 29]:
        quiet(Comment.objects.filter(post_id=post_id).count())


SCENARIOS = {name: fn for name, fn in globals().items()
             if callable(fn) and name not in ("quiet", "warm_up")
             and fn.__module__ == "__main__"}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(sorted(SCENARIOS))}}}")
    warm_up()
    SCENARIOS[sys.argv[1]]()
