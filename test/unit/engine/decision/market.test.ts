// Markets as integers: two ASCII letters and three ASCII letters, case-insensitive, nothing else.

import t from 'tap';
import { countryCode, langCode, marketKey, marketKeyOf } from '../../../../engine/decision/market.js';

t.test('codes are case-insensitive and reject anything but ASCII letters of the right length', async (t) => {
  t.equal(countryCode('us'), countryCode('US'));
  t.equal(countryCode('uS'), countryCode('Us'));
  t.equal(langCode('eng'), langCode('ENG'));
  for (const bad of ['', 'u', 'usa', 'u1', '@a', 'a[', '`a', 'a{', 'ü s', 'é', 'aé', '  ']) t.equal(countryCode(bad), -1, JSON.stringify(bad));
  for (const bad of ['', 'en', 'engl', 'en1', 'e@g', 'en[', 'éng', 'e g']) t.equal(langCode(bad), -1, JSON.stringify(bad));
  t.equal(countryCode('aa'), 0);
  t.equal(countryCode('zz'), 675);
  t.equal(langCode('zzz'), 17575);
});

t.test('every (country, lang) pair has its own key', async (t) => {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const keys = new Set<number>();
  for (const a of letters) for (const b of letters) for (const lang of ['aaa', 'eng', 'fra', 'zzz']) keys.add(marketKey(countryCode(a + b), langCode(lang)));
  t.equal(keys.size, 676 * 4);
  t.equal(marketKeyOf('us', 'eng'), marketKey(countryCode('US'), langCode('Eng')));
});
