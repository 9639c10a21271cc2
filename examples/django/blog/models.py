"""The article's models: an Author with a country, a Post with an author and
tags, and comments (which may reply to another comment).

Table names are Django's: blog_country, blog_author, blog_post, blog_tag,
blog_post_tags (the many-to-many junction) and blog_comment.
"""
from django.db import models


class Country(models.Model):
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=2, unique=True)

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=100)
    country = models.ForeignKey(
        Country, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="authors",
    )

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)
    active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Post(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="posts",
    )
    published = models.DateTimeField()
    tags = models.ManyToManyField(Tag, related_name="posts")

    def __str__(self):
        return self.title


class Comment(models.Model):
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="comments",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True,
        related_name="replies",
    )
    author_name = models.CharField(max_length=100)
    body = models.TextField()
    created = models.DateTimeField()

    def __str__(self):
        return f"Comment {self.pk} on post {self.post_id}"
