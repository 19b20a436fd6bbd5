// GET /openapi.json — the OpenAPI 3.1 document of the public API (engine/openapi.json), no key
// needed. The file is read and checked once, at start-up, and kept as bytes with its ETag (README
// "Caching"): answering it builds nothing. A missing or broken document stops start-up (it ships
// with the engine, like the sample feed). test/unit/engine/routes/openapi.test.ts keeps the document and the route table in step.

import { readFileSync } from 'node:fs';
import { OpenApiDocumentError } from '../../core/errors.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { STATUS_200, type Handler } from '../../core/runtime/respond.js';
import { cacheable, sendConditional } from '../http/conditional.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

export const OPENAPI_FILE = 'engine/openapi.json';

/** Reads a document and checks it is JSON with `openapi: 3.1.x`; its bytes, exactly as in the file. */
export function readOpenApiDocument(path: string): Buffer {
  let bytes: Buffer;
  let parsed: unknown;
  try {
    bytes = readFileSync(path);
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OpenApiDocumentError(`${path} cannot be read as JSON: ${(err as Error).message}`, { cause: err });
  }
  const version = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).openapi : undefined;
  if (typeof version !== 'string' || !/^3\.1\.\d+$/.test(version)) {
    throw new OpenApiDocumentError(`${path} is not an OpenAPI 3.1 document (openapi: ${JSON.stringify(version) ?? 'missing'})`);
  }
  return bytes;
}

let document: Buffer | null = null;

/** engine/openapi.json, read on the first call (at start-up: the route is built with the app) only. */
export function openApiBytes(): Buffer {
  return (document ??= readOpenApiDocument(packagePath(OPENAPI_FILE)));
}

/** The document changes only with a deploy: caches may keep it a while, then revalidate. */
const OPENAPI_CACHE = Buffer.from('public, max-age=300');

export function openApiDocument({ metrics, state }: RouteDeps): Handler {
  const body = cacheable(openApiBytes());
  const route = routeIndex.openapi;
  return (res, req) => {
    const startedAt = performance.now();
    const notModified = sendConditional(res, req, STATUS_200, body, OPENAPI_CACHE, state.draining);
    metrics.record(route, notModified ? statusIndex['304'] : statusIndex['200'], startedAt);
  };
}
