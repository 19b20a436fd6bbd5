// The VAST pieces (engine/indexes/vast.ts): escaping for XML 1.0, Duration's format, the media
// piece, and the writer joining an index's pieces with a decision's parts, whatever their sizes.

import { DOMParser } from '@xmldom/xmldom';
import t from 'tap';
import { validateFeed } from '../../../../core/domain/ads/feed.js';
import { AdIndex } from '../../../../engine/indexes/ad-index.js';
import { NO_AD_VAST, VastWriter, escapeXml, formatDuration, mediaPiece } from '../../../../engine/indexes/vast.js';
import { row } from '../../../helpers/feed-rows.js';

/** A parser that throws on any error and stays quiet about warnings (U+FFFD in the text is one, and intended here). */
const parser = () =>
  new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(message);
    },
  });
const textOf = (xml: string): string => parser().parseFromString(`<x a="${xml}">${xml}</x>`, 'text/xml').documentElement!.textContent!;
const attrOf = (xml: string): string => parser().parseFromString(`<x a="${xml}"/>`, 'text/xml').documentElement!.getAttribute('a')!;

t.test('escapeXml: special characters as entities, tab/LF/CR as references, the rest of C0 and lone surrogates as U+FFFD', async (t) => {
  t.equal(escapeXml('plain text'), 'plain text');
  t.equal(escapeXml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  t.equal(escapeXml(']]>'), ']]&gt;');
  t.equal(escapeXml('\t\n\r'), '&#9;&#10;&#13;');
  t.equal(escapeXml('\u0000\u0001\u0008\u000b\u000c\u000e\u001f'), '\ufffd'.repeat(7));
  t.equal(escapeXml('\ufffe\uffff'), '\ufffd\ufffd');
  t.equal(escapeXml('x\ud800y\udc00z'), 'x\ufffdy\ufffdz', 'lone halves');
  t.equal(escapeXml('\udc00\ud800'), '\ufffd\ufffd', 'halves in the wrong order');
  t.equal(escapeXml('pair \ud83c\udfae and \u00e9\u65e5\u007f\u0085'), 'pair \ud83c\udfae and \u00e9\u65e5\u007f\u0085', 'pairs and other characters stay');
  t.equal(escapeXml('end\ud800'), 'end\ufffd');
  // What a parser reads back, in text and in an attribute.
  const value = 'a & <b> "c" \'d\' ]]> \t\n\r \u0001';
  t.equal(textOf(escapeXml(value)), 'a & <b> "c" \'d\' ]]> \t\n\r \ufffd');
  t.equal(attrOf(escapeXml(value)), 'a & <b> "c" \'d\' ]]> \t\n\r \ufffd');
});

t.test('formatDuration: HH:MM:SS, with milliseconds only when there are some', async (t) => {
  t.equal(formatDuration(30), '00:00:30');
  t.equal(formatDuration(0.001), '00:00:00.001');
  t.equal(formatDuration(15.5), '00:00:15.500');
  t.equal(formatDuration(12.346), '00:00:12.346');
  t.equal(formatDuration(59.9995), '00:01:00', 'rounded to the millisecond');
  t.equal(formatDuration(754.25), '00:12:34.250');
  t.equal(formatDuration(3600), '01:00:00');
});

t.test('mediaPiece: the feed\'s fields, or the defaults', async (t) => {
  const [plain, webm, full] = validateFeed({
    ads: [
      row('p', 'us', 'eng'),
      row('w', 'us', 'eng', 0, 0, { video_url: 'https://cdn.test/w.webm' }),
      row('f', 'us', 'eng', 0, 0, { duration: 6.5, mime: 'video/x-a&b', width: 640, height: 360, bitrate: 800 }),
    ],
  }).ads;
  t.equal(mediaPiece(plain!), '00:00:30</Duration><MediaFiles><MediaFile delivery="progressive" type="video/mp4" width="1280" height="720"');
  t.match(mediaPiece(webm!), /type="video\/webm"/);
  t.equal(mediaPiece(full!), '00:00:06.500</Duration><MediaFiles><MediaFile delivery="progressive" type="video/x-a&amp;b" width="640" height="360" bitrate="800"');
});

t.test('VastWriter: grows its buffer for long prefixes and ids, and re-escapes a prefix that changes', async (t) => {
  const id = `x${'&'.repeat(127)}`;
  const index = AdIndex.compile(validateFeed({ ads: [row(id, 'us', 'eng', 0, 0, { title: 't'.repeat(256), click_url: `https://c.test/${'c'.repeat(2000)}` })] }).ads, 'v');
  const writer = new VastWriter();
  const tokens = Array.from({ length: 8 }, (_, k) => `tok${k}.${k}AAAAAAAAAAA`);
  const long = `https://ads.test/${'p'.repeat(6000)}&/beacon/`;
  for (const prefix of ['http://a.test/beacon/', long, 'http://b.test/<beacon>/']) {
    const doc = Buffer.from(writer.write(index, 0, prefix, 'DECISION0123abcd', tokens)).toString();
    const parsed = parser().parseFromString(doc, 'text/xml');
    t.equal(parsed.getElementsByTagName('Ad')[0]!.getAttribute('id'), id, `${prefix.slice(0, 24)}: id`);
    t.equal(parsed.getElementsByTagName('Impression')[0]!.textContent, `${prefix}tok0.0AAAAAAAAAAA`, 'impression: prefix + token 0');
    t.equal(parsed.getElementsByTagName('Error')[0]!.textContent, `${prefix}tok7.7AAAAAAAAAAA?code=[ERRORCODE]`, 'error: prefix + token 7 + the macro');
    t.same(
      Array.from({ length: 5 }, (_, i) => parsed.getElementsByTagName('Tracking')[i]!.textContent),
      [1, 2, 3, 4, 5].map((k) => `${prefix}tok${k}.${k}AAAAAAAAAAA`),
      'start … complete: tokens 1 to 5',
    );
    t.equal(parsed.getElementsByTagName('ClickTracking')[0]!.textContent, `${prefix}tok6.6AAAAAAAAAAA`, 'click: token 6');
    t.equal(parsed.getElementsByTagName('AdServingId')[0]!.textContent, 'DECISION0123abcd');
  }
});

t.test('the no-ad document', async (t) => {
  t.equal(NO_AD_VAST.toString(), '<?xml version="1.0" encoding="UTF-8"?><VAST version="4.2"/>');
});
