// Snapshots reach server processes in pieces (1 MiB messages over IPC): one bigger than several
// pieces arrives whole on every server, and the next one after it too.

import t from 'tap';
import { testServerOptions } from '../../../helpers/server-options.js';
import { validateFeed } from '../../../../core/domain/ads/feed.js';
import { AdIndex } from '../../../../engine/indexes/ad-index.js';
import { ProcessPool } from '../../../../engine/pool/process-pool.js';
import { compileAdsSnapshot } from '../../../../syncer/compile/ads-snapshot.js';
import { row } from '../../../helpers/feed-rows.js';

const options = testServerOptions;

/** `n` ads over a few markets, ids unique to `tag`: a different snapshot per tag. */
const ads = (tag: string, n: number) =>
  validateFeed({ ads: Array.from({ length: n }, (_, i) => row(`${tag}-${i}-${'x'.repeat(40)}`, ['us', 'fr', 'de'][i % 3]!, 'eng', i % 24, (i * 7) % 24)) }).ads;

t.test('a snapshot of several IPC pieces installs whole on every server, and so does the next', async (t) => {
  const crashes: Error[] = [];
  const pool = await ProcessPool.start(2, options, (err) => crashes.push(err), null);
  t.teardown(() => pool.close());

  for (const tag of ['first', 'second']) {
    const feed = ads(tag, 30_000);
    const snapshot = compileAdsSnapshot(feed, Date.UTC(2030, 0, 1));
    t.ok(snapshot.bytes.length > 3 * 1024 * 1024, `${tag}: more than three pieces (${snapshot.bytes.length} bytes)`);
    const local = AdIndex.compile(feed, snapshot.snapshot.version);
    const installed = await pool.install(snapshot.bytes);
    t.match(installed, { version: snapshot.snapshot.version, ads: local.adCount, markets: local.marketCount, bytes: local.approxBytes }, tag);
  }
  t.same(crashes, []);
});
