"""The article's functions, the N+1 loops and their fixes.

Each one renders one line per post, as the article's functions print them,
and returns the posts it went through (evaluated, with whatever related
objects were loaded on them). `out` receives each line: print by default,
as in the article.

    /usr/bin/python3 manage.py shell -c \
        "from blog import queries; queries.list_posts_naive()"
"""
from django.db.models import Prefetch

from .models import Post, Tag


# --- ForeignKey: post.author (section 3) ---------------------------------

def list_posts_naive(out=print):
    """1 + N queries: post.author is loaded lazily, one query per post."""
    posts = Post.objects.all()
    for post in posts:
        out(f"{post.title} by {post.author.name}")
    return posts


def list_posts_optimized(out=print):
    """1 query: the authors come with the posts, by a JOIN."""
    posts = Post.objects.select_related("author")
    for post in posts:
        out(f"{post.title} by {post.author.name}")
    return posts


def list_posts_with_country(out=print):
    """1 query: post -> author -> country in a single JOIN."""
    posts = Post.objects.select_related("author__country")
    for post in posts:
        country = post.author.country.name if post.author.country else "-"
        out(f"{post.title} by {post.author.name} ({country})")
    return posts


def list_posts_only(out=print):
    """1 query, and only the columns used (section 6, over-fetching)."""
    posts = Post.objects.select_related("author").only("title", "author__name")
    for post in posts:
        out(f"{post.title} by {post.author.name}")
    return posts


# --- ManyToManyField: post.tags (section 4) ------------------------------

def list_posts_with_tags_naive(out=print):
    """1 + N queries: post.tags.all() runs one query per post."""
    posts = Post.objects.all()
    for post in posts:
        tag_names = [tag.name for tag in post.tags.all()]
        out(f"{post.title}: {', '.join(tag_names)}")
    return posts


def list_posts_with_tags_optimized(out=print):
    """2 queries: the posts, then the tags of all of them."""
    posts = Post.objects.prefetch_related("tags")
    for post in posts:
        tag_names = [tag.name for tag in post.tags.all()]
        out(f"{post.title}: {', '.join(tag_names)}")
    return posts


def list_posts_active_tags(out=print):
    """2 queries: a filtered, ordered prefetch stored in a list attribute."""
    active_tags = Tag.objects.filter(active=True).order_by("name")
    posts = Post.objects.prefetch_related(
        Prefetch("tags", queryset=active_tags, to_attr="active_tags")
    )
    for post in posts:
        # post.active_tags is a plain list, not a queryset
        tag_names = [tag.name for tag in post.active_tags]
        out(f"{post.title}: {', '.join(tag_names)}")
    return posts


def list_posts_tags_filtered_naive(out=print):
    """Pitfall (section 6): filtering a prefetched relation bypasses the
    cache, one query per post again."""
    posts = Post.objects.prefetch_related("tags")
    for post in posts:
        tag_names = [tag.name for tag in post.tags.filter(active=True)]
        out(f"{post.title}: {', '.join(tag_names)}")
    return posts


# --- Reverse ForeignKey: post.comments -----------------------------------

def list_posts_with_comments_naive(out=print):
    """1 + N queries: post.comments.all() runs one query per post."""
    posts = Post.objects.all()
    for post in posts:
        out(f"{post.title}: {len(post.comments.all())} comments")
    return posts


def list_posts_with_comments_optimized(out=print):
    """2 queries: the posts, then the comments of all of them."""
    posts = Post.objects.prefetch_related("comments")
    for post in posts:
        out(f"{post.title}: {len(post.comments.all())} comments")
    return posts


# --- Both (section 5) ----------------------------------------------------

def list_posts_full(out=print):
    """2 queries: posts JOIN authors, then the tags."""
    posts = (
        Post.objects
        .select_related("author")       # JOIN for ForeignKey
        .prefetch_related(              # Separate query for ManyToMany
            Prefetch(
                "tags",
                queryset=Tag.objects.only("name"),
                to_attr="tag_list",
            )
        )
    )
    for post in posts:
        tag_names = [tag.name for tag in post.tag_list]
        out(f"{post.title} by {post.author.name} — tags: {', '.join(tag_names)}")
    return posts


NAIVE = [list_posts_naive, list_posts_with_tags_naive,
         list_posts_with_comments_naive, list_posts_tags_filtered_naive]
OPTIMIZED = [list_posts_optimized, list_posts_with_country, list_posts_only,
             list_posts_with_tags_optimized, list_posts_active_tags,
             list_posts_with_comments_optimized, list_posts_full]
