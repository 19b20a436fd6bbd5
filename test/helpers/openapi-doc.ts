// Reading engine/openapi.json for the tests that hold it to the engine
// (test/unit/engine/routes/openapi.test.ts, test/e2e/openapi-contract.test.ts): its operations, the
// (path, method) pairs the app serves in the same form, and a checker that validates a real answer
// against what the document declares for its operation, status and content type (JSON Schema
// 2020-12 via ajv, $refs resolved inside the document; a non-JSON body, such as a VAST document, is
// validated as a string).

import { readFile } from 'node:fs/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { publicRoutes } from '../../engine/server/app.js';
import { httpMethod } from '../../core/runtime/uws.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { OPENAPI_FILE } from '../../engine/routes/openapi.js';
import type { Reply } from './http.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Json = Record<string, unknown>;

export interface OpenApiDocument extends Json {
  paths: Record<string, Record<string, Json>>;
  components: Json & { schemas: Record<string, Json>; responses: Record<string, Json> };
}

export interface Operation {
  /** `GET /topics/{id}`: the key tests use for an operation. */
  key: string;
  method: string;
  path: string;
  op: Json & { responses: Record<string, Json> };
}

export async function loadDocument(): Promise<{ bytes: Buffer; doc: OpenApiDocument }> {
  const bytes = await readFile(packagePath(OPENAPI_FILE));
  return { bytes, doc: JSON.parse(bytes.toString('utf8')) as OpenApiDocument };
}

export function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as Operation['op'] | undefined;
      if (op !== undefined) out.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

/** uWS's `/topics/:id` as OpenAPI's `/topics/{id}`. */
export const openApiPath = (uwsPath: string): string => uwsPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** `GET /topics/{id}` for every (path, method) the app's route table serves. */
export const servedOperations = (): string[] => publicRoutes.map((r) => `${httpMethod(r.method)} ${openApiPath(r.path)}`);

/** The document's URI inside ajv: every `#/components/…` $ref in it resolves against this. */
const BASE = 'https://arcade-edge.invalid/openapi.json';

/** A JSON pointer (as a URI fragment) to `segments` inside the document. */
export const pointer = (...segments: string[]): string =>
  '#' + segments.map((s) => '/' + encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))).join('');

/** `at` (a pointer) extended by `segments`. */
export const under = (at: string, ...segments: string[]): string => at + pointer(...segments).slice(1);

/** ajv (draft 2020-12, strict, formats asserted) holding the document, so schemas compile by pointer. */
export function documentAjv(doc: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  formats.default(ajv);
  ajv.addKeyword('paths').addKeyword('components');
  ajv.addSchema({ $id: BASE, paths: doc.paths, components: doc.components });
  return ajv;
}

/** Compiles the schema at `ptr` (a pointer from pointer()) inside the document. */
export const compileAt = (ajv: Ajv2020, ptr: string): ValidateFunction => ajv.compile({ $ref: BASE + ptr });

/** A `$ref: '#/components/…'` followed once (the document never chains them), with its pointer. */
export function deref(doc: OpenApiDocument, value: Json, at: string): { value: Json; at: string } {
  const ref = value.$ref;
  if (typeof ref !== 'string') return { value, at };
  const parts = ref.replace(/^#\//, '').split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let target: unknown = doc;
  for (const p of parts) target = (target as Json)[p];
  if (typeof target !== 'object' || target === null) throw new Error(`unresolved $ref ${ref}`);
  return { value: target as Json, at: pointer(...parts) };
}

/**
 * Validates real answers against the document. check() returns the problems (empty when the answer
 * is one the document declares) and records which (operation, status) pairs were seen.
 */
export class ContractChecker {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ops: Map<string, Operation>;
  readonly seen = new Set<string>();

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv = documentAjv(doc);
    this.ops = new Map(operations(doc).map((o) => [o.key, o]));
  }

  /**
   * Every documented `KEY status`, and `KEY status media/type` for each media type of a response
   * that has more than one (so that each variant must be produced too).
   */
  documented(): string[] {
    return [...this.ops.values()].flatMap((o) =>
      Object.entries(o.op.responses).flatMap(([status, r]) => {
        const types = Object.keys((deref(this.doc, r, '').value.content ?? {}) as Json);
        return [`${o.key} ${status}`, ...(types.length > 1 ? types.map((type) => `${o.key} ${status} ${type}`) : [])];
      }),
    );
  }

  /** `opKey` is an operation's key, or `components/responses/<Name>` for NotFound and MethodNotAllowed. */
  check(opKey: string, reply: Reply): string[] {
    const status = String(reply.status);
    let response: { value: Json; at: string };
    if (opKey.startsWith('components/responses/')) {
      const name = opKey.slice('components/responses/'.length);
      const value = this.doc.components.responses[name];
      if (value === undefined) return [`no component response ${name}`];
      response = { value, at: pointer('components', 'responses', name) };
    } else {
      const o = this.ops.get(opKey);
      if (o === undefined) return [`${opKey} is not a documented operation`];
      const declared = o.op.responses[status];
      if (declared === undefined) return [`${opKey} answered ${status}, which the document does not declare (body ${reply.text})`];
      response = deref(this.doc, declared, pointer('paths', o.path, o.method.toLowerCase(), 'responses', status));
    }
    this.seen.add(`${opKey} ${status}`);
    const problems: string[] = [];
    const content = response.value.content as Record<string, Json> | undefined;
    const contentType = String(reply.headers['content-type'] ?? '');
    // The media type the reply says it is (parameters such as charset cut), which the document must declare.
    const mediaType = contentType.split(';')[0]!.trim();
    if (content === undefined) {
      if (reply.text !== '') problems.push(`${opKey} ${status} declares no content, got ${contentType}: ${reply.text.slice(0, 80)}`);
    } else if (content[mediaType] === undefined) {
      problems.push(`${opKey} ${status} answered content-type ${contentType || '(none)'}, not one of ${Object.keys(content).join(', ')}`);
    } else {
      this.seen.add(`${opKey} ${status} ${mediaType}`);
      // JSON is answered as exactly `application/json`, and its body is checked parsed. Other text
      // (a VAST document, a CSV report) carries its charset and is checked as a string; a binary
      // body (the beacon GIF) only by its type.
      const json = mediaType === 'application/json';
      const text = !json && (mediaType.startsWith('text/') || mediaType.endsWith('xml'));
      if (json && contentType !== 'application/json') problems.push(`content-type ${contentType}, not application/json`);
      if (text && contentType !== `${mediaType}; charset=utf-8`) problems.push(`content-type ${contentType}, not ${mediaType}; charset=utf-8`);
      if (json || text) {
        const validate = this.validator(under(response.at, 'content', mediaType, 'schema'));
        if (!validate(json ? reply.body : reply.text)) problems.push(`body ${reply.text} does not match: ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    for (const [name, header] of Object.entries((response.value.headers ?? {}) as Record<string, Json>)) {
      const h = deref(this.doc, header, under(response.at, 'headers', name));
      const value = reply.headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.value.required === true) problems.push(`required header ${name} is missing`);
        continue;
      }
      const validateHeader = this.validator(under(h.at, 'schema'));
      if (!validateHeader(value)) problems.push(`header ${name}: ${String(value)} does not match: ${this.ajv.errorsText(validateHeader.errors)}`);
    }
    return problems;
  }

  private validator(ptr: string): ValidateFunction {
    let v = this.validators.get(ptr);
    if (v === undefined) {
      v = compileAt(this.ajv, ptr);
      this.validators.set(ptr, v);
    }
    return v;
  }
}
