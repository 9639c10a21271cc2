// Corpus scenarios run by node-postgres (npm's pg) on the blog tables
// examples/django creates.
//
//   NODE_PATH=<folder>/node_modules node corpus/pg_scenarios.js SCENARIO
//
// Connects through PGHOST, PGPORT, PGDATABASE and PGUSER. pg sends a
// statement with values through the extended protocol ($1, ...).
// t/015_corpus.pl runs each scenario in a process of its own and compares
// relprefetch.stats with corpus/labels.json.
'use strict';
const { Pool } = require('pg');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// a small deterministic generator (the runs must be the same every time)
function rng(seed) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

const scenarios = {
  // an HTTP server on a pool of 3 connections, two requests in flight at
  // a time, 60 requests 0 to 20 ms apart, autocommit: the current user,
  // a setting, a page of posts joined to their authors
  async hot_pool(pool) {
    const r = rng(15);
    const request = async () => {
      await pool.query('SELECT id, name FROM blog_author WHERE id = $1',
        [1 + Math.floor(r() * 3)]);
      await pool.query('SELECT value FROM corpus_setting WHERE key = $1',
        [['site_name', 'theme', 'page_size'][Math.floor(r() * 3)]]);
      await pool.query(`SELECT p.id, p.title, a.name FROM blog_post p
        JOIN blog_author a ON a.id = p.author_id ORDER BY p.id DESC LIMIT 10`);
    };
    for (let i = 0; i < 30; i++) {
      await Promise.all([request(), request()]);
      await sleep(r() * 20);
    }
  },

  // a loop in PL/pgSQL, counted with relprefetch.track = all: the
  // function looks up each post's author
  async plpgsql_loop(pool) {
    await pool.query('SELECT corpus_post_bylines(20)');
  },

  // a transaction that reads a post's comments and archives each one with
  // an INSERT of the values read, then bumps each author's counter per post
  // read; rolled back
  async write_from_read(pool) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const comments = await c.query(
        'SELECT id, post_id, body FROM blog_comment WHERE post_id <= $1 ORDER BY id', [6]);
      for (const row of comments.rows) {
        await c.query(
          'INSERT INTO corpus_comment_archive (comment_id, post_id, body) VALUES ($1, $2, $3)',
          [row.id, row.post_id, row.body]);
      }
      const posts = await c.query(
        'SELECT id, author_id FROM blog_post ORDER BY id LIMIT $1', [12]);
      for (const row of posts.rows) {
        await c.query(
          'UPDATE corpus_author_stat SET posts = posts + 1 WHERE author_id = $1',
          [row.author_id]);
      }
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
  },

  // an import: 15 rows of the application's own data, one INSERT each, in
  // a transaction; rolled back
  async insert_app_data(pool) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      for (let i = 0; i < 15; i++) {
        await c.query('INSERT INTO corpus_job (state, payload) VALUES ($1, $2)',
          ['queued', `import ${i}`]);
      }
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
  },

  // a cursor read 5 rows at a time (FETCH), one author query per post
  // read, in a transaction
  async cursor_fetch_loop(pool) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(
        'DECLARE corpus_posts CURSOR FOR SELECT id, author_id FROM blog_post ORDER BY id');
      for (let i = 0; i < 4; i++) {
        const batch = await c.query('FETCH 5 FROM corpus_posts');
        for (const p of batch.rows) {
          await c.query('SELECT id, name FROM blog_author WHERE id = $1', [p.author_id]);
        }
      }
      await c.query('CLOSE corpus_posts');
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  },

  // a clean-up: the done jobs read, then one DELETE per job read, in a
  // transaction; rolled back
  async delete_loop(pool) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const jobs = await c.query(
        'SELECT id FROM corpus_job WHERE state = $1 ORDER BY id', ['done']);
      for (const j of jobs.rows) {
        await c.query('DELETE FROM corpus_job WHERE id = $1', [j.id]);
      }
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
  },

  // many-to-many the long way: each post's rows of the junction, then one
  // tag query per junction row
  async junction_then_target(pool) {
    const posts = await pool.query(
      'SELECT id, title FROM blog_post ORDER BY id LIMIT $1', [8]);
    for (const p of posts.rows) {
      const links = await pool.query(
        'SELECT tag_id FROM blog_post_tags WHERE post_id = $1 ORDER BY tag_id', [p.id]);
      for (const l of links.rows) {
        await pool.query('SELECT id, name FROM blog_tag WHERE id = $1', [l.tag_id]);
      }
    }
  },

  // the N+1 loop by hand: 20 posts, one author query per post
  async fk_loop(pool) {
    const posts = await pool.query(
      'SELECT id, title, author_id FROM blog_post ORDER BY id LIMIT $1', [20]);
    for (const p of posts.rows) {
      await pool.query('SELECT id, name FROM blog_author WHERE id = $1', [p.author_id]);
    }
  },
};

async function main() {
  const name = process.argv[2];
  if (!Object.prototype.hasOwnProperty.call(scenarios, name)) {
    console.error(`usage: node ${process.argv[1]} {${Object.keys(scenarios).join(',')}}`);
    process.exit(2);
  }
  const pool = new Pool({ max: 3 });
  try {
    await scenarios[name](pool);
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
