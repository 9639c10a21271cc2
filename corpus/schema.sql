-- The corpus's tables beyond the blog (examples/django's migrations make
-- blog_country, blog_author, blog_post, blog_tag, blog_post_tags and
-- blog_comment; its load_blog command fills them): per-request settings,
-- a job queue for the poll loop, the targets of the write loops, and the
-- PL/pgSQL loop. Run by t/015_corpus.pl after migrate and load_blog.

CREATE TABLE corpus_setting (
	key text PRIMARY KEY,
	value text NOT NULL
);
INSERT INTO corpus_setting VALUES
	('site_name', 'The blog'), ('page_size', '10'), ('theme', 'light'),
	('comments_open', 'true');

CREATE TABLE corpus_job (
	id serial PRIMARY KEY,
	state text NOT NULL,
	payload text NOT NULL
);
INSERT INTO corpus_job (state, payload)
SELECT 'done', 'job ' || g FROM generate_series(1, 20) g;

-- a copy of each comment read (write loop: INSERT per row read)
CREATE TABLE corpus_comment_archive (
	id serial PRIMARY KEY,
	comment_id bigint NOT NULL REFERENCES blog_comment (id),
	post_id bigint NOT NULL REFERENCES blog_post (id),
	body text NOT NULL
);

-- a counter per author (write loop: UPDATE per row read)
CREATE TABLE corpus_author_stat (
	author_id bigint PRIMARY KEY REFERENCES blog_author (id),
	posts integer NOT NULL DEFAULT 0
);
INSERT INTO corpus_author_stat (author_id) SELECT id FROM blog_author;

-- A PL/pgSQL loop: one author lookup per post (counted with
-- relprefetch.track = all).
CREATE FUNCTION corpus_post_bylines(n integer) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	p record;
	who text;
BEGIN
	FOR p IN SELECT id, title, author_id FROM blog_post ORDER BY id LIMIT n LOOP
		SELECT name INTO who FROM blog_author WHERE id = p.author_id;
		RETURN NEXT p.title || ' by ' || who;
	END LOOP;
END
$$;
