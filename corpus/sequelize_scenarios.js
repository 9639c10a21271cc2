// Corpus scenarios run by Sequelize (npm's sequelize on npm's pg) on the
// blog tables examples/django creates.
//
//   NODE_PATH=<folder>/node_modules node corpus/sequelize_scenarios.js SCENARIO
//
// Connects through PGHOST, PGPORT, PGDATABASE and PGUSER. Sequelize inlines
// values into the statement's text (the simple protocol). t/015_corpus.pl
// runs each scenario in a process of its own and compares relprefetch.stats
// with corpus/labels.json.
'use strict';
const { Sequelize, DataTypes } = require('sequelize');

const sequelize = new Sequelize(process.env.PGDATABASE, process.env.PGUSER, '', {
  dialect: 'postgres',
  host: process.env.PGHOST,
  port: process.env.PGPORT,
  logging: false,
  pool: { max: 3 },
});

const opts = (table) => ({ tableName: table, timestamps: false });
const Author = sequelize.define('Author', {
  name: DataTypes.STRING,
  country_id: DataTypes.INTEGER,
}, opts('blog_author'));
const Post = sequelize.define('Post', {
  title: DataTypes.STRING,
  body: DataTypes.TEXT,
  author_id: DataTypes.INTEGER,
  published: DataTypes.DATE,
}, opts('blog_post'));
const Tag = sequelize.define('Tag', {
  name: DataTypes.STRING,
  active: DataTypes.BOOLEAN,
}, opts('blog_tag'));
const PostTag = sequelize.define('PostTag', {
  post_id: DataTypes.INTEGER,
  tag_id: DataTypes.INTEGER,
}, opts('blog_post_tags'));
Post.belongsTo(Author, { foreignKey: 'author_id', as: 'author' });
Post.belongsToMany(Tag, {
  through: PostTag, foreignKey: 'post_id', otherKey: 'tag_id', as: 'tags',
});

const scenarios = {
  // post.getAuthor() per post
  async lazy_author() {
    const posts = await Post.findAll({ order: [['id', 'ASC']] });
    for (const post of posts) {
      await post.getAuthor();
    }
  },

  // post.getTags() per post: the junction joined to the tags
  async lazy_tags() {
    const posts = await Post.findAll({ order: [['id', 'ASC']], limit: 15 });
    for (const post of posts) {
      await post.getTags();
    }
  },

  // a listing paged by offset, 5 posts at a time with their authors:
  // 7 pages, the last one empty
  async offset_pagination() {
    for (let offset = 0; ; offset += 5) {
      const page = await Post.findAll({
        include: [{ model: Author, as: 'author' }],
        order: [['id', 'ASC']], limit: 5, offset,
      });
      if (page.length === 0) break;
    }
  },

  // the fix: the authors and tags included, one statement each
  async includes() {
    await Post.findAll({ include: [{ model: Author, as: 'author' }] });
    await Post.findAll({ include: [{ model: Tag, as: 'tags' }] });
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
    await sequelize.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
