// GET /openapi.json — the OpenAPI 3.1 document of the public API (engine/openapi.json), no key
// needed. The file is read and checked once, at start-up, and kept as bytes: answering it builds
// nothing. A missing or broken document stops start-up (it ships with the engine, like the sample
// feed). test/unit/engine/routes/openapi.test.ts keeps the document and the route table in step.

import { readFileSync } from 'node:fs';
import { OpenApiDocumentError } from '../../core/errors.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { sendOk, type Handler } from '../../core/runtime/respond.js';
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

export function openApiDocument({ metrics, state }: RouteDeps): Handler {
  const body = openApiBytes();
  const route = routeIndex.openapi;
  const ok = statusIndex['200'];
  return (res) => {
    const startedAt = performance.now();
    sendOk(res, body, state.draining);
    metrics.record(route, ok, startedAt);
  };
}
