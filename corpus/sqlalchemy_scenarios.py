"""Corpus scenarios run by SQLAlchemy (Debian's python3-sqlalchemy, 1.4,
with psycopg2) on the blog tables examples/django creates.

    /usr/bin/python3 corpus/sqlalchemy_scenarios.py SCENARIO

Connects through PGHOST, PGPORT, PGDATABASE and PGUSER (libpq's defaults:
the URL names no host). t/015_corpus.pl runs each scenario in a process of
its own and compares relprefetch.stats with corpus/labels.json.
"""
import random
import sys
import threading
import time

from sqlalchemy import (Boolean, Column, ForeignKey, Integer, String, Table,
                        Text, create_engine, insert, select, text)
from sqlalchemy.orm import (Session, declarative_base, joinedload,
                            relationship, selectinload)

Base = declarative_base()

post_tags = Table(
    "blog_post_tags", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("blog_post.id")),
    Column("tag_id", ForeignKey("blog_tag.id")))


class Country(Base):
    __tablename__ = "blog_country"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    code = Column(String)


class Author(Base):
    __tablename__ = "blog_author"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    country_id = Column(ForeignKey("blog_country.id"))
    country = relationship(Country)


class Tag(Base):
    __tablename__ = "blog_tag"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    active = Column(Boolean)


class Post(Base):
    __tablename__ = "blog_post"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    body = Column(Text)
    author_id = Column(ForeignKey("blog_author.id"))
    author = relationship(Author)  # lazy="select", the default
    tags = relationship(Tag, secondary=post_tags)
    comments = relationship("Comment", back_populates="post")


class Comment(Base):
    __tablename__ = "blog_comment"
    id = Column(Integer, primary_key=True)
    post_id = Column(ForeignKey("blog_post.id"))
    author_name = Column(String)
    body = Column(Text)
    post = relationship(Post, back_populates="comments")


archive = Table(
    "corpus_comment_archive", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("comment_id", Integer), Column("post_id", Integer),
    Column("body", Text))


def engine(**kw):
    return create_engine("postgresql+psycopg2://", future=True, **kw)


def quiet(*args):
    pass


def lazy_author():
    # many-to-one lazy loads: the identity map serves an author already
    # loaded, so 10 lookups for 30 posts (one per distinct author)
    with Session(engine()) as session:
        for post in session.scalars(select(Post).order_by(Post.id)):
            quiet(post.title, post.author.name)


def lazy_tags():
    # many-to-many lazy loads: the junction joined to the tags, per post
    with Session(engine()) as session:
        for post in session.scalars(select(Post).order_by(Post.id)):
            quiet([t.name for t in post.tags])


def threads_pool():
    # a threaded server: 6 threads share a pool of 3 autocommit
    # connections, each serving 8 requests: the current user, a setting,
    # a page of posts with their authors
    eng = engine(isolation_level="AUTOCOMMIT", pool_size=3, max_overflow=0)

    def worker(seed):
        rng = random.Random(seed)
        for _ in range(8):
            with Session(eng) as session:
                session.get(Author, rng.choice([1, 2, 3]))
                session.execute(
                    text("SELECT value FROM corpus_setting WHERE key = :k"),
                    {"k": rng.choice(["site_name", "theme"])}).all()
                session.scalars(select(Post).options(joinedload(Post.author))
                                .order_by(Post.id.desc()).limit(10)).all()
            time.sleep(rng.uniform(0, 0.010))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def keyset_pagination():
    # a batch job walking the posts 5 at a time by keyset (id > last id),
    # in autocommit: 7 pages, the last one empty
    eng = engine(isolation_level="AUTOCOMMIT")
    with Session(eng) as session:
        last = 0
        while True:
            page = session.scalars(select(Post).where(Post.id > last)
                                   .order_by(Post.id).limit(5)).all()
            if not page:
                break
            last = page[-1].id


def selectin_chunked():
    # selectinload splits the prefetch into IN lists of 500 keys: 3,000
    # more posts (one INSERT ... SELECT), then every post with its comments:
    # 7 chunks, the fix, not a loop; rolled back
    with Session(engine()) as session:
        session.execute(text(
            "INSERT INTO blog_post (id, title, body, author_id, published)"
            " SELECT g, 'Post ' || g, '', 1 + g % 10, now()"
            " FROM generate_series(1001, 4000) g"))
        posts = session.scalars(select(Post).options(
            selectinload(Post.comments))).all()
        quiet(sum(len(p.comments) for p in posts))
        session.rollback()


def write_from_read():
    # an archive job: one INSERT per comment read, then the ORM's flush of
    # the authors it renamed (one UPDATE per author read); rolled back
    with Session(engine()) as session:
        for c in session.scalars(select(Comment).where(Comment.post_id <= 8)
                                 .order_by(Comment.id)):
            session.execute(insert(archive).values(
                comment_id=c.id, post_id=c.post_id, body=c.body))
        for a in session.scalars(select(Author).order_by(Author.id)):
            a.name = a.name.upper()
        session.flush()
        session.rollback()


def insert_app_data():
    # an import: 20 new tags from the application's own list; the ORM's
    # flush inserts them one by one (RETURNING each new id); rolled back
    with Session(engine()) as session:
        session.add_all(Tag(name=f"imported-{i:02d}", active=True)
                        for i in range(20))
        session.flush()
        session.rollback()


SCENARIOS = {name: fn for name, fn in globals().items()
             if callable(fn) and getattr(fn, "__module__", "") == "__main__"
             and name not in ("engine", "quiet") and not isinstance(fn, type)}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(sorted(SCENARIOS))}}}")
    SCENARIOS[sys.argv[1]]()
