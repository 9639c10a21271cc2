"""Under `manage.py test` the settings connect with relprefetch.on_detect =
error (see blogsite/settings.py), so the statement that repeats for the 5th
time in a unit of work fails with SQLSTATE 54000: in an application's tests,
the test with the loop fails. These tests assert that error for the naive
loops and its absence for the fixes, so they pass.

Django runs each TestCase class in one transaction (each test in a
savepoint of it), and a transaction is one unit of work for relprefetch:
the statements of all the tests of a class count together. A statement
that each test runs once therefore repeats when five tests of a class run
it: keep such classes small, as here (one class per relationship).
"""
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from blog import data, queries


def quiet(line):
    pass


class RelprefetchTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        data.load(truncate=False)

    def assertNPlusOne(self, fn, relation, call):
        """fn fails at the 5th execution of its loop's statement."""
        # The savepoint lets the test go on after the error.
        with self.assertRaises(DatabaseError) as raised:
            with transaction.atomic():
                fn(out=quiet)
        error = raised.exception.__cause__      # psycopg2's exception
        self.assertEqual(error.pgcode, "54000")
        self.assertRegex(
            error.diag.message_primary,
            r"^N\+1 query pattern: the same statement ran 5 "
            r"times in one unit of work$")
        self.assertIn(f"it reads relation {relation}.",
                      error.diag.message_detail)
        self.assertIn(call, error.diag.message_hint)

    def assertNoNPlusOne(self, fn, queries_sent):
        lines = []
        with self.assertNumQueries(queries_sent):
            fn(out=lines.append)
        self.assertEqual(len(lines), data.N_POSTS)


class SettingsTests(TestCase):
    def test_on_detect_is_error(self):
        with connection.cursor() as cursor:
            cursor.execute("SHOW relprefetch.on_detect")
            self.assertEqual(cursor.fetchone()[0], "error")


class AuthorTests(RelprefetchTestCase):
    def test_naive_loop_raises(self):
        self.assertNPlusOne(
            queries.list_posts_naive, "public.blog_author",
            "relprefetch.fetch_json('public.blog_post', "
            "'{\"include\": [\"author\"]}')")

    def test_select_related(self):
        self.assertNoNPlusOne(queries.list_posts_optimized, 1)

    def test_select_related_nested(self):
        self.assertNoNPlusOne(queries.list_posts_with_country, 1)

    def test_only(self):
        self.assertNoNPlusOne(queries.list_posts_only, 1)


class TagTests(RelprefetchTestCase):
    def test_naive_loop_raises(self):
        self.assertNPlusOne(
            queries.list_posts_with_tags_naive, "public.blog_tag",
            "relprefetch.fetch_children(NULL::public.blog_post, "
            "NULL::public.blog_tag[])")

    def test_prefetch_related(self):
        self.assertNoNPlusOne(queries.list_posts_with_tags_optimized, 2)

    def test_prefetch_filtered_to_attr(self):
        self.assertNoNPlusOne(queries.list_posts_active_tags, 2)


class FilterAfterPrefetchTests(RelprefetchTestCase):
    def test_filter_after_prefetch_raises(self):
        self.assertNPlusOne(
            queries.list_posts_tags_filtered_naive, "public.blog_tag",
            "relprefetch.fetch_children(NULL::public.blog_post, "
            "NULL::public.blog_tag[])")

    def test_select_and_prefetch_related(self):
        self.assertNoNPlusOne(queries.list_posts_full, 2)


class CommentTests(RelprefetchTestCase):
    def test_naive_loop_raises(self):
        self.assertNPlusOne(
            queries.list_posts_with_comments_naive, "public.blog_comment",
            "relprefetch.fetch_children(NULL::public.blog_post, "
            "NULL::public.blog_comment[])")

    def test_prefetch_related(self):
        self.assertNoNPlusOne(queries.list_posts_with_comments_optimized, 2)
