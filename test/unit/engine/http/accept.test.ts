// The Accept rule of GET /ad_request (engine/http/accept.ts): VAST when an XML type's best q beats
// the best q of what JSON matches; a tie, no header or a malformed q keeps JSON.

import t from 'tap';
import { prefersXml } from '../../../../engine/http/accept.js';

t.test('XML preferred over JSON is XML; anything else is not', async (t) => {
  const cases: [string, boolean][] = [
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['text/html', false],
    ['application/xml', true],
    ['text/xml', true],
    ['TEXT/XML', true],
    ['  application/xml  ', true],
    ['application/xml ; charset=utf-8', true],
    ['application/xml;charset=utf-8;q=0.4, application/json;q=0.3', true],
    ['application/xml;q=0.4;charset=utf-8, application/json;q=0.4', false],
    ['application/xml, application/json', false],
    ['application/json, application/xml', false],
    ['application/xml;q=0.9, application/*;q=0.8', true],
    ['application/xml;q=0.8, application/*;q=0.9', false],
    ['application/xml;Q=0.9, */*;q=0.8', true],
    ['application/xml;q=1.000, */*;q=0.999', true],
    ['application/xml;q=0.5, text/xml, */*', false],
    ['application/xml;q=0', false],
    ['application/xml;q=0.000', false],
    ['application/xml;q=1.001', false],
    ['application/xml;q=.5', false],
    ['application/xml;q=0.5000', false],
    ['application/xml;q=', false],
    ['application/xml;q=-1', false],
    ['application/xhtml+xml', false],
    ['application/vnd.iab.vast+xml', false],
    ['image/svg+xml, application/xml;q=0.1', true],
    ['application/xmlx', false],
    ['xml', false],
    [',,application/xml,,', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.9', false],
  ];
  for (const [accept, xml] of cases) t.equal(prefersXml(accept), xml, JSON.stringify(accept));
});
