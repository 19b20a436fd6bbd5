// Walks a whole UTC day through the HTTP API with an injected clock: for every hour, at :00:00 and
// at :59:59, the ads served for each market are exactly the ones whose window is live, and the
// next second (:59:59 → :00:00) switches to the next hour's set. Uses the bundled sample feed,
// which has normal, wrap-around, end-of-day and all-day windows.

import { readFile } from 'node:fs/promises';
import t from 'tap';
import { ManualClock } from '../../core/runtime/clock.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { isLiveAt } from '../../engine/decision/hours.js';
import { httpClient } from '../helpers/http.js';
import type { FeedRow } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

t.test('every hour of the day, both edges of the hour, every market of the sample feed', async (t) => {
  const feed = JSON.parse(await readFile(packagePath('syncer/sample/campaign-feed.json'), 'utf8')) as { ads: FeedRow[] };
  const clock = new ManualClock(0);
  const eng = await startTestEngine(t, { clock, ads: feed.ads });
  const http = httpClient(t);
  const markets = [...new Set(feed.ads.map((a) => `${a.country.toLowerCase()}/${a.lang.toLowerCase()}`))];

  const served = async (country: string, lang: string, draws: number) => {
    const ids = new Set<string>();
    for (let i = 0; i < draws; i++) {
      const r = await http.get(`${eng.url}/ad_request?country=${country}&lang=${lang}&api_key=${GAME_KEY}`);
      if (r.status === 200) ids.add((r.body as { id: string }).id);
      else if (r.status !== 404) t.fail(`unexpected ${r.status}`);
    }
    return [...ids].sort();
  };

  for (let hour = 0; hour < 24; hour++) {
    for (const [minute, second] of [[0, 0], [59, 59]] as const) {
      clock.set(Date.UTC(2031, 0, 15, hour, minute, second));
      for (const market of markets) {
        const [country, lang] = market.split('/') as [string, string];
        const expected = feed.ads
          .filter((a) => `${a.country.toLowerCase()}/${a.lang.toLowerCase()}` === market && isLiveAt(a.start_hour, a.end_hour, hour))
          .map((a) => a.id)
          .sort();
        // Weights are at most 3 of a total under 10 here: 12 draws see every live ad.
        const got = await served(country.toUpperCase(), lang, 12);
        t.same(got, expected, `${market} at ${String(hour).padStart(2, '0')}:${minute}:${second}`);
      }
    }
  }
  // us/eng is never empty in the sample feed (the printed curl always works).
  for (let hour = 0; hour < 24; hour++) {
    clock.set(Date.UTC(2031, 0, 15, hour, 30));
    t.not((await served('us', 'eng', 1)).length, 0, `us/eng live at ${hour}:30`);
  }
});
