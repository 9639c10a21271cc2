"""Small deterministic blog data, the demo's formulas (demo/blog.sql) at a
smaller scale: 5 countries, 10 authors, 30 posts, 12 tags, post-tag links
and comments. Every row gets an explicit id, so two loads are identical.

It is written with one bulk_create per table, so loading it is a handful of
statements and never an N+1 loop itself (a loop of .create() calls would be:
relprefetch counts INSERTs too).
"""
import datetime

from django.db import connection, transaction

from .models import Author, Comment, Country, Post, Tag

COUNTRIES = [("Argentina", "AR"), ("Canada", "CA"), ("France", "FR"),
             ("Japan", "JP"), ("Kenya", "KE")]
N_AUTHORS = 10
N_POSTS = 30
N_TAGS = 12
START = datetime.datetime(2024, 1, 1, 8, 0, tzinfo=datetime.timezone.utc)

TABLES = ["blog_comment", "blog_post_tags", "blog_post", "blog_tag",
          "blog_author", "blog_country"]


def load(truncate=True):
    """Fill the blog tables; with truncate, empty them first."""
    with transaction.atomic():
        if truncate:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE " + ", ".join(TABLES))
        _load()


def _load():
    Country.objects.bulk_create(
        Country(id=i, name=name, code=code)
        for i, (name, code) in enumerate(COUNTRIES, start=1))
    # Author 10 has no country (the foreign key is nullable).
    Author.objects.bulk_create(
        Author(id=i, name=f"Author {i}",
               country_id=None if i % 10 == 0 else 1 + (i * 7) % len(COUNTRIES))
        for i in range(1, N_AUTHORS + 1))
    # Every 5th tag is inactive.
    Tag.objects.bulk_create(
        Tag(id=i, name=f"tag-{i:02d}", active=i % 5 != 0)
        for i in range(1, N_TAGS + 1))
    # Consecutive posts have different authors (7 is coprime with 10).
    Post.objects.bulk_create(
        Post(id=i,
             title=f"Post {i}: notes on query number {(i * 13) % 97}",
             body=f"Paragraph of post {i}. " * (1 + i % 5),
             author_id=1 + ((i - 1) * 7) % N_AUTHORS,
             published=START + (i - 1) * datetime.timedelta(hours=7, minutes=13))
        for i in range(1, N_POSTS + 1))
    # Three distinct tags per post, none for every 10th post.
    Post.tags.through.objects.bulk_create(
        Post.tags.through(id=(p - 1) * 3 + k + 1, post_id=p,
                          tag_id=1 + (p * 5 + k * 4) % N_TAGS)
        for p in range(1, N_POSTS + 1) if p % 10 != 0
        for k in range(3))
    # Comments 3(p-1)+1 .. 3p belong to post p, the 3rd replies to the 1st;
    # every 7th post has none.
    Comment.objects.bulk_create(
        Comment(id=c, post_id=(c - 1) // 3 + 1,
                parent_id=c - 2 if (c - 1) % 3 == 2 else None,
                author_name=f"Reader {1 + (c * 31) % 50}",
                body=f"Comment {c} on post {(c - 1) // 3 + 1}.",
                created=START + ((c - 1) // 3) * datetime.timedelta(hours=7, minutes=13)
                + (1 + (c - 1) % 3) * datetime.timedelta(hours=1, minutes=17))
        for c in range(1, 3 * N_POSTS + 1) if ((c - 1) // 3 + 1) % 7 != 0)
    # Move the id sequences past the explicit ids, in one statement.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(t, 'id'), m, m IS NOT NULL)"
            " FROM (VALUES " + ", ".join(
                f"('{t}', (SELECT max(id) FROM {t}))" for t in TABLES)
            + ") AS s (t, m)")
