// Corpus scenarios run by knex (npm's knex on npm's pg) on the blog tables
// examples/django creates.
//
//   NODE_PATH=<folder>/node_modules node corpus/knex_scenarios.js SCENARIO
//
// Connects through PGHOST, PGPORT, PGDATABASE and PGUSER. knex sends values
// as parameters (the extended protocol). t/015_corpus.pl runs each scenario
// in a process of its own and compares relprefetch.stats with
// corpus/labels.json.
'use strict';
const knex = require('knex')({
  client: 'pg',
  connection: {
    host: process.env.PGHOST,
    port: process.env.PGPORT,
    database: process.env.PGDATABASE,
    user: process.env.PGUSER,
  },
  pool: { min: 1, max: 3 },
});

const scenarios = {
  // post -> author -> country, each level looked up per row of the level
  // above
  async nested_three_levels() {
    const posts = await knex('blog_post').select('id', 'title', 'author_id').orderBy('id');
    for (const post of posts) {
      const author = await knex('blog_author').where({ id: post.author_id }).first();
      if (author.country_id !== null) {
        await knex('blog_country').where({ id: author.country_id }).first();
      }
    }
  },

  // the posts' comments fetched 6 posts at a time with whereIn: 5 IN
  // lists for 30 posts, the fix, not a loop
  async chunked_prefetch() {
    const posts = await knex('blog_post').select('id', 'title').orderBy('id');
    const ids = posts.map((p) => p.id);
    for (let i = 0; i < ids.length; i += 6) {
      await knex('blog_comment').whereIn('post_id', ids.slice(i, i + 6));
    }
  },

  // the comments and the tags of each post, one after the other in a
  // transaction
  async interleaved_transaction() {
    await knex.transaction(async (trx) => {
      const posts = await trx('blog_post').select('id').orderBy('id').limit(10);
      for (const post of posts) {
        await trx('blog_comment').where({ post_id: post.id });
        await trx('blog_tag').join('blog_post_tags', 'blog_post_tags.tag_id', 'blog_tag.id')
          .where('blog_post_tags.post_id', post.id).select('blog_tag.*');
      }
    });
  },
};

async function main() {
  const name = process.argv[2];
  if (!Object.prototype.hasOwnProperty.call(scenarios, name)) {
    console.error(`usage: node ${process.argv[1]} {${Object.keys(scenarios).join(',')}}`);
    process.exit(2);
  }
  try {
    await scenarios[name]();
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
