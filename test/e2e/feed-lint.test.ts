// `npm run feed:lint -- <file|url>` as a campaign manager or a CI job meets it: a real process (from
// source, through tsx) reading a file, a path or a real local HTTP server, printing every row's
// verdict and the summary, and exiting 0 when the syncer would take the feed, 1 when it would
// refuse it, 2 on a usage error.

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { startFeedServer } from '../helpers/feed-server.js';
import { feedOf, row } from '../helpers/feed-rows.js';
import { scratchDir } from '../helpers/scratch-dir.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The linter, from source, to completion. Asynchronously: the feed server runs in this process, and
 * a spawnSync would block the very server the linter reads.
 */
function feedLint(args: string[], cwd = packagePath('.')): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', packagePath('syncer/feed-lint.ts'), ...args],
      { cwd, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

async function feedFile(t: Parameters<typeof scratchDir>[0], text: string): Promise<string> {
  const file = join(scratchDir(t), 'campaigns.json');
  await writeFile(file, text);
  return file;
}

/** A feed with every kind of verdict: kept, dropped for a field, a duplicate, not an object. */
const mixed = feedOf(
  row('a', 'us', 'eng'),
  { ...row('b', 'us', 'eng'), timezone: 'Mars/Olympus_Mons' },
  row('a', 'fr', 'fra'),
  7 as unknown as Record<string, unknown>,
  { ...row('c', 'us', 'eng'), starts_at: '2026-02-30T00:00:00Z' },
  { ...row('d', 'us', 'eng'), campaign_id: 'spring', priority: 3, weekdays: ['mon'], timezone: 'europe/paris' },
  row('e', 'usa', 'eng'),
  { ...row('f', 'us', 'eng'), timezone: 'Europe/Nowhere' },
);

t.test('a good feed: every row ok, exit 0', async (t) => {
  const file = await feedFile(t, feedOf('x-1', row('x-2', 'de', 'deu', 6, 12, { title: 'Winter' })));
  const run = await feedLint([file]);
  t.equal(run.code, 0, run.stderr);
  t.equal(
    run.stdout,
    [
      `feed ${pathToFileURL(file).href}`,
      '2 rows, numbered from 0 as in the syncer\'s logs:',
      'row 0 "x-1": ok',
      'row 1 "x-2": ok',
      'accepted 2, rejected 0',
      'the syncer would accept this feed',
      '',
    ].join('\n'),
  );
  t.equal(run.stderr, '');
});

t.test('a feed with some bad rows: each listed with its reason and what it means, the summary, exit 0', async (t) => {
  const file = await feedFile(t, mixed);
  const run = await feedLint([file]);
  t.equal(run.code, 0, run.stderr);
  t.equal(
    run.stdout,
    [
      `feed ${pathToFileURL(file).href}`,
      '8 rows, numbered from 0 as in the syncer\'s logs:',
      'row 0 "a": duplicate_id (row 2 wins): a later valid row has the same id, and the last one wins',
      'row 1 "b": bad_timezone: timezone must be an IANA zone such as Europe/Paris',
      'row 2 "a": ok',
      'row 3 (no id): not_an_object: each entry of "ads" must be a JSON object',
      'row 4 "c": bad_starts_at: starts_at must be an ISO-8601 date and time with its offset, such as 2026-12-01T00:00:00-05:00 or ' +
        '2026-12-01T05:00:00Z, on a day that exists, in years 0000 to 9999',
      'row 5 "d": ok',
      'row 6 "e": bad_country: country must be a 2-letter ISO 3166-1 alpha-2 code such as US',
      'row 7 "f": bad_timezone: timezone must be an IANA zone such as Europe/Paris',
      'rejected by reason:',
      '  not_an_object  1',
      '  bad_country    1',
      '  bad_starts_at  1',
      '  bad_timezone   2',
      '  duplicate_id   1',
      'accepted 2, rejected 6',
      'the syncer would accept this feed',
      '',
    ].join('\n'),
  );
});

t.test('a plain path, relative to where it runs, and a file:// URL read the same file', async (t) => {
  const file = await feedFile(t, mixed);
  const byPath = await feedLint([relative(packagePath('.'), file)]);
  const byUrl = await feedLint([pathToFileURL(file).href]);
  t.equal(byPath.code, 0);
  t.equal(byUrl.code, 0);
  t.equal(byPath.stdout, byUrl.stdout);
});

t.test('every row past the syncer\'s 100 logged samples gets its verdict', async (t) => {
  const rows = [row('good', 'us', 'eng'), ...Array.from({ length: 250 }, (_, i) => row(`bad-${i}`, 'us', 'en'))];
  const run = await feedLint([await feedFile(t, feedOf(...rows))]);
  t.equal(run.code, 0);
  t.match(run.stdout, /^row 250 "bad-249": bad_lang: lang must be a 3-letter ISO 639-2 code such as eng$/m);
  t.match(run.stdout, /^ {2}bad_lang {2}250\naccepted 1, rejected 250\n/m);
});

t.test('no valid row: every row listed, the refusal, exit 1', async (t) => {
  const file = await feedFile(t, feedOf(row('a', 'usa', 'eng'), { ...row('b', 'us', 'eng'), house: 'yes' }));
  const run = await feedLint([file]);
  t.equal(run.code, 1);
  t.equal(
    run.stdout,
    [
      `feed ${pathToFileURL(file).href}`,
      '2 rows, numbered from 0 as in the syncer\'s logs:',
      'row 0 "a": bad_country: country must be a 2-letter ISO 3166-1 alpha-2 code such as US',
      'row 1 "b": bad_house: house must be true or false',
      'rejected by reason:',
      '  bad_country  1',
      '  bad_house    1',
      'accepted 0, rejected 2',
      'the syncer would refuse this feed: feed has no valid row (2 rows, 2 rejected)',
      '',
    ].join('\n'),
  );
});

t.test('not JSON, or JSON without an "ads" array: the refusal, exit 1', async (t) => {
  const notJson = await feedFile(t, '{"ads": [');
  const run = await feedLint([notJson]);
  t.equal(run.code, 1);
  t.match(run.stdout, new RegExp(`^feed ${pathToFileURL(notJson).href}\nthe syncer would refuse this feed: feed is not valid JSON: .+\n$`));
  const noAds = await feedLint([await feedFile(t, '[{"id": "a"}]')]);
  t.equal(noAds.code, 1);
  t.match(noAds.stdout, /\nthe syncer would refuse this feed: feed must be a JSON object with an "ads" array\n$/);
});

t.test('an http:// feed is read from a real server as the syncer reads it, gzip included', async (t) => {
  const server = await startFeedServer(t, { body: mixed, encoding: 'gzip' });
  const run = await feedLint([server.url]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, new RegExp(`^feed ${server.url.replace(/[.]/g, '\\.')}\n8 rows`));
  t.match(run.stdout, /^row 1 "b": bad_timezone: /m);
  t.match(run.stdout, /\naccepted 2, rejected 6\nthe syncer would accept this feed\n$/);
  t.equal(server.requests.length, 1);
  t.match(server.requests[0], { accept: 'application/json', 'accept-encoding': /gzip/ });
});

t.test('a feed that cannot be read: why, on stderr, exit 1', async (t) => {
  const server = await startFeedServer(t, { status: 404 });
  const http = await feedLint([server.url]);
  t.equal(http.code, 1);
  t.equal(http.stdout, '');
  t.equal(http.stderr, `cannot read feed ${server.url}: FEED_FETCH_FAILED: feed answered HTTP 404\n`);
  const missing = join(scratchDir(t), 'missing.json');
  const file = await feedLint([missing]);
  t.equal(file.code, 1);
  t.match(file.stderr, /^cannot read feed file:\/\/.*missing\.json: FEED_FETCH_FAILED: cannot read feed file .*ENOENT/);
});

t.test('--json: the same verdicts for machines', async (t) => {
  const file = await feedFile(t, mixed);
  const run = await feedLint(['--json', file]);
  t.equal(run.code, 0);
  const report = JSON.parse(run.stdout) as Record<string, unknown>;
  t.same(report, {
    feed: pathToFileURL(file).href,
    accepted_feed: true,
    refused: null,
    accepted: 2,
    rejected: 6,
    rejected_by_reason: { not_an_object: 1, bad_country: 1, bad_starts_at: 1, bad_timezone: 2, duplicate_id: 1 },
    rows: [
      { row: 0, id: 'a', verdict: 'duplicate_id', winner: 2 },
      { row: 1, id: 'b', verdict: 'bad_timezone' },
      { row: 2, id: 'a', verdict: 'ok' },
      { row: 3, id: null, verdict: 'not_an_object' },
      { row: 4, id: 'c', verdict: 'bad_starts_at' },
      { row: 5, id: 'd', verdict: 'ok' },
      { row: 6, id: 'e', verdict: 'bad_country' },
      { row: 7, id: 'f', verdict: 'bad_timezone' },
    ],
  });
  const refused = await feedLint([await feedFile(t, 'nope'), '--json']);
  t.equal(refused.code, 1);
  t.match(JSON.parse(refused.stdout), { accepted_feed: false, refused: /^feed is not valid JSON/, accepted: 0, rejected: 0, rows: [] });
});

t.test('usage errors: one line on stderr, exit 2', async (t) => {
  const usage = 'usage: npm run feed:lint -- <file|url> [--json]\n';
  for (const args of [[], ['a.json', 'b.json'], ['--jsn', 'a.json'], ['ftp://feeds.test/a.json']]) {
    const run = await feedLint(args);
    t.same(run, { code: 2, stdout: '', stderr: usage }, JSON.stringify(args));
  }
  t.same(await feedLint(['--help']), { code: 0, stdout: usage, stderr: '' });
});
