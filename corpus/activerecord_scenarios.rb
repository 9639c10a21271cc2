# Corpus scenarios run by ActiveRecord (Debian's ruby-activerecord, 6.1,
# with ruby-pg) on the blog tables examples/django creates.
#
#   ruby corpus/activerecord_scenarios.rb SCENARIO
#
# Connects through PGHOST, PGPORT, PGDATABASE and PGUSER (libpq's
# defaults). ActiveRecord sends prepared statements (the extended protocol)
# and, in a fresh process, reads the schema from the catalogs first. Every
# scenario but cold_author_loop loads the schema before it starts (and
# waits past relprefetch.unit_gap), as a process that has served requests
# already would have. t/015_corpus.pl runs each scenario in a process of its
# own and compares relprefetch.stats with corpus/labels.json.
require 'active_record'

ActiveRecord::Base.establish_connection(adapter: 'postgresql',
                                        pool: 5, prepared_statements: true)
ActiveRecord::Base.logger = nil

class Country < ActiveRecord::Base
  self.table_name = 'blog_country'
end

class Author < ActiveRecord::Base
  self.table_name = 'blog_author'
  belongs_to :country, optional: true
end

class Post < ActiveRecord::Base
  self.table_name = 'blog_post'
  belongs_to :author
  has_many :comments
end

class Comment < ActiveRecord::Base
  self.table_name = 'blog_comment'
  belongs_to :post
end

class Setting < ActiveRecord::Base
  self.table_name = 'corpus_setting'
  self.primary_key = 'key'
end

class Job < ActiveRecord::Base
  self.table_name = 'corpus_job'
end

# A process that has served requests already knows the schema: load each
# model's columns and primary key, four models at a time and each group in
# a unit of its own (a pause past relprefetch.unit_gap), so that the
# scenario measures its own statements only (cold_author_loop measures a
# fresh process).
def warm_up
  [[Country, Author, Post, Comment], [Setting, Job]].each do |models|
    models.each { |m| m.columns && m.primary_key && m.first }
    sleep 0.3
  end
end

# loop over the first n posts, each post's author loaded lazily
def author_loop(n)
  Post.order(:id).limit(n).each { |post| post.author.name }
end

SCENARIOS = {
  # a fresh process: the schema queries, then the posts, then the loop
  'cold_author_loop' => -> { author_loop(30) },
  # consecutive posts have different authors: 5 lookups, then 4
  'loop_of_5' => -> { warm_up; author_loop(5) },
  'loop_of_4' => -> { warm_up; author_loop(4) },
  # a worker polling the queue in a transaction that never commits
  'poll_long_transaction' => lambda {
    warm_up
    Job.transaction do
      8.times do
        Job.where(state: 'queued').order(:id).first
        sleep 0.1
      end
    end
  },
  # one pooled connection serving 50 requests 0 to 20 ms apart, autocommit
  'hot_pool' => lambda {
    warm_up
    rng = Random.new(15)
    50.times do
      Author.find([1, 2, 3].sample(random: rng))
      Setting.find(%w[site_name page_size theme].sample(random: rng))
      Post.includes(:author).order(id: :desc).limit(10).to_a
      sleep(rng.rand * 0.020)
    end
  },
  # an import of application data: one INSERT per new comment
  'insert_app_data' => lambda {
    warm_up
    Comment.transaction do
      12.times do |i|
        Comment.create!(post_id: 1, author_name: "reader #{i}",
                        body: "imported comment #{i}", created: Time.now)
      end
      raise ActiveRecord::Rollback
    end
  },
  # each post's comments counted, per post read
  'interleaved_counts' => lambda {
    warm_up
    Post.order(:id).limit(12).each do |post|
      post.author.name
      post.comments.size
    end
  },
}.freeze

name = ARGV[0]
abort "usage: #{$PROGRAM_NAME} {#{SCENARIOS.keys.join(',')}}" unless SCENARIOS.key?(name)
SCENARIOS.fetch(name).call
