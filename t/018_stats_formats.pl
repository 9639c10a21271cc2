# Tests that the stats files of older versions are read: t/data holds the
# pg_stat/relprefetch.stat files that version 0.2.0 (format 1) and the
# 0.3.0 code before format 3 (format 2) wrote at a clean shutdown, each with
# what that server's views showed just before (stats-formatN.rows, one JSON
# object per relprefetch.stats row, then relprefetch.info);
# scripts/stats-fixtures.sh makes them again.  For each file:
#   - a new node starts with it in place of its own: relprefetch.stats has
#     exactly the recorded rows (user, database, fingerprint, query id,
#     texts, relation id and name, foreign key, counters, times, suggestion
#     and, from format 2, the proof), with what
#     the format did not keep as a reader must give it: no proof (NULL) in
#     format 1, no suggested_call (NULL) before format 3, an unproven count
#     of 0 in format 1;
#   - a clean restart writes format 3 and the rows come back unchanged;
#   - the file cut by one byte, and with one byte changed, is ignored with a
#     LOG line, and the server starts with an empty table.
# The files are the bytes of x86_64 structs (little-endian, its alignment):
# elsewhere the test is skipped.
use strict;
use warnings;

use Config;
use File::Copy;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use RelprefetchTest;
use Test::More;

if ($Config{archname} !~ /^x86_64-/)
{
	plan skip_all =>
	  "the stats files in t/data are x86_64's struct bytes; this is $Config{archname}";
}

my $data = "$FindBin::RealBin/data";

# The view's columns that every format keeps, as the fixture's script
# dumped them; $with_proof adds the proof (format 2 on)
sub rows_json
{
	my ($node, $with_proof) = @_;
	my $columns = q{userid, dbid, fingerprint, queryid, query, source_query, relid,
  relation, foreign_key,
  units, calls, max_repeats, total_time, suggestion,
  extract(epoch FROM first_seen) AS first_seen,
  extract(epoch FROM last_seen) AS last_seen};
	$columns .= ', proof' if $with_proof;
	return $node->safe_psql(
		'postgres', qq{
SELECT row_to_json(r) FROM (SELECT $columns FROM relprefetch.stats) r
ORDER BY r.query COLLATE "C"});
}

# relprefetch.info as the script dumped it (the unproven count from
# format 2 on), and the unproven count alone
sub info_json
{
	my ($node, $with_unproven) = @_;
	my $columns =
	  'evictions, extract(epoch FROM stats_reset) AS stats_reset';
	$columns .= ', unproven' if $with_unproven;
	return $node->safe_psql(
		'postgres', qq{
SELECT row_to_json(r) FROM (SELECT $columns FROM relprefetch.info) r;
SELECT unproven FROM relprefetch.info});
}

# What a reader of that format must give for what it did not keep
sub missing_parts
{
	my ($node) = @_;
	return $node->safe_psql(
		'postgres', q{
SELECT query, coalesce(proof, '<null>'), coalesce(suggested_call, '<null>')
FROM relprefetch.stats ORDER BY query COLLATE "C"});
}

sub put_statfile
{
	my ($node, $content) = @_;
	my $statfile = $node->data_dir . '/pg_stat/relprefetch.stat';
	open(my $fh, '>:raw', $statfile) or die "could not write $statfile: $!";
	print $fh $content;
	close($fh) or die "could not write $statfile: $!";
	return;
}

sub read_binary
{
	my ($file) = @_;
	open(my $fh, '<:raw', $file) or die "could not read $file: $!";
	local $/;
	my $content = <$fh>;
	close($fh);
	return $content;
}

# What the rows must show for what the formats did not keep: no proof in
# format 1 (the forward loop of format 2 was proven), no call before
# format 3
my $author_query = 'SELECT name FROM fixture_author WHERE id = $1';
my $posts_query  = 'SELECT id, title FROM fixture_post WHERE author_id = $1';
my $author_proof =
  '5 of 5 values of $1 came from public.fixture_post.author_id in the source query';

my %expected_missing = (
	1 => "$posts_query|<null>|<null>\n$author_query|<null>|<null>",
	2 => "$posts_query|<null>|<null>\n$author_query|$author_proof|<null>");

foreach my $format (1, 2)
{
	my $fixture = read_binary("$data/stats-format$format.bin");
	my @recorded = split /\n/, slurp_file("$data/stats-format$format.rows");
	my $recorded_info = pop @recorded;
	my $recorded_rows = join("\n", @recorded);

	# the fixture is what the test thinks it is
	my ($magic, $written_format) = unpack('V V', $fixture);
	is(sprintf('%08x %d', $magic, $written_format),
		"52504653 $format", "format $format: the fixture's header");
	is(scalar(@recorded), 2, "format $format: two rows were recorded");

	my $node = init_node("format$format",
		shared_preload_libraries => "'relprefetch'");
	put_statfile($node, $fixture);
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION relprefetch');

	is(rows_json($node, $format >= 2),
		$recorded_rows, "format $format: the recorded rows are loaded");
	is(missing_parts($node), $expected_missing{$format},
		"format $format: proof and suggested_call");
	# format 1 has no unproven count (0); format 2's has the one left out
	my $info = $recorded_info . "\n" . ($format >= 2 ? 1 : 0);
	is(info_json($node, $format >= 2),
		$info, "format $format: relprefetch.info");
	ok(!$node->log_contains(qr/relprefetch file/),
		"format $format: nothing about the file in the log");

	# a clean restart writes format 3, and reads it back
	$node->stop;
	my $saved = read_binary($node->data_dir . '/pg_stat/relprefetch.stat');
	is(join(' ', unpack('V V', $saved)),
		join(' ', 0x52504653, 3), "format $format: saved again as format 3");
	$node->start;
	is(rows_json($node, $format >= 2),
		$recorded_rows, "format $format: the rows survive a restart");
	is(missing_parts($node), $expected_missing{$format},
		"format $format: proof and suggested_call after a restart");
	is(info_json($node, $format >= 2),
		$info, "format $format: relprefetch.info after a restart");

	# near misses: cut by one byte, one byte changed
	my $middle = int(length($fixture) / 2);
	my $flipped = $fixture;
	substr($flipped, $middle, 1) = chr(ord(substr($fixture, $middle, 1)) ^ 0x01);
	my %damaged = (
		'cut by one byte' => substr($fixture, 0, length($fixture) - 1),
		"byte $middle changed" => $flipped);
	foreach my $what (sort keys %damaged)
	{
		$node->stop;
		put_statfile($node, $damaged{$what});
		my $offset = -s $node->logfile;
		$node->start;
		ok( $node->log_contains(
				qr/LOG:  ignoring relprefetch file "pg_stat\/relprefetch.stat": its checksum does not match: the file is corrupted/,
				$offset),
			"format $format, $what: ignored with a LOG line");
		is( $node->safe_psql(
				'postgres',
				'SELECT count(*) FROM relprefetch.stats;
				 SELECT entries, evictions, unproven FROM relprefetch.info'),
			"0\n0|0|0",
			"format $format, $what: the server starts with an empty table");
	}
	$node->stop;
}

done_testing();
