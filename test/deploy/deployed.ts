// What the manifest tests know about the two images and check of every deployed container: which
// program an image runs (from its CMD), the environment it brings (its final ENV, under the
// manifest's), its user; and the container's effective environment run through the programs' own
// loadConfig, so a typo'd value in a manifest fails here as it would fail the process at start-up.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { freePort } from '../../bench/lib/free-port.js';
import { loadConfig, type Config, type Service } from '../../core/runtime/config.js';
import { ConfigError } from '../../core/errors.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { commandArgv, lastOf, parseDockerfile, type Stage } from './dockerfile.js';

export interface Image {
  dockerfile: string;
  service: Service;
  /** ENV of the final stage: what a container gets before its manifest's environment. */
  env: Record<string, string>;
  uid: number;
  gid: number;
  final: Stage;
}

export function image(dockerfile: string): Image {
  const df = parseDockerfile(dockerfile);
  const argv = commandArgv(lastOf(df.final, 'CMD')!.args);
  const service = /^dist\/(engine|syncer)\/main\.js$/.exec(argv[1] ?? '')?.[1] as Service | undefined;
  if (service === undefined) throw new Error(`${dockerfile}: CMD ${JSON.stringify(argv)} runs neither program`);
  const [uid, gid] = (df.final.user ?? '').split(':').map(Number);
  return { dockerfile, service, env: df.final.env, uid: uid!, gid: gid ?? uid!, final: df.final };
}

export const images = { engine: image('Dockerfile.engine'), syncer: image('Dockerfile.syncer') };

/** The image a deployment's image reference names: arcade-edge-engine… or arcade-edge-syncer…. */
export function imageByName(ref: string): Image | null {
  const name = ref.split('/').at(-1)!.split(':')[0]!;
  if (name === 'arcade-edge-engine') return images.engine;
  if (name === 'arcade-edge-syncer') return images.syncer;
  return null;
}

/**
 * Variables something in the container reads: the ones core/runtime/config.ts names (the only place
 * the programs read the environment), the AWS SDK's credential and region chain, and Node's
 * NODE_ENV. loadConfig ignores a name it does not know, so a misspelt one would pass it silently.
 */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...[...readFileSync(packagePath('core/runtime/config.ts'), 'utf8').matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1]!),
  ...['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'],
  'NODE_ENV',
]);

/**
 * Asserts that `env` (the container's whole environment, image ENV included) sets only variables
 * something reads (KNOWN_VARIABLES) and is a valid production configuration of the program with no
 * warning (a setting that does nothing is a manifest mistake too); returns the configuration.
 */
export function assertConfig(t: Test, env: Record<string, string>, service: Service, what: string): Config | null {
  t.same(Object.keys(env).filter((k) => !KNOWN_VARIABLES.has(k)), [], `${what}: every variable set is one something reads`);
  let config: Config;
  try {
    config = loadConfig(env, service);
  } catch (err) {
    t.fail(`${what}: ${service} refuses its environment: ${err instanceof ConfigError ? err.problems.join('; ') : String(err)}`);
    return null;
  }
  t.pass(`${what}: a valid ${service} configuration`);
  t.same(config.warnings, [], `${what}: no setting without effect`);
  t.equal(config.mode, 'production', `${what}: production mode`);
  t.ok(config.redisUrl !== null && config.s3 !== null, `${what}: Redis and S3 both configured`);
  return config;
}

/** host and port of a URL, the scheme's default port when none is written. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'redis:': 6379, 'rediss:': 6379, 'http:': 80, 'https:': 443 };
  return { host: u.hostname, port: u.port === '' ? defaults[u.protocol]! : Number(u.port) };
}

/** Runs argv with env; resolves with the exit code. */
function exitCode(argv: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** A stand-in internal port answering `status` to everything; records the paths asked for. */
async function internalPort(t: Test, status: number): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, paths };
}

/**
 * Runs a container health check command here, for real, against a stand-in internal port given
 * as INTERNAL_PORT (over the container's env): healthy (exit 0) when /healthz answers 200, and
 * unhealthy (exit 1) on a 503 or when nothing listens.
 */
export async function assertHealthcheck(t: Test, argv: string[], env: Record<string, string>): Promise<void> {
  const ok = await internalPort(t, 200);
  t.equal(await exitCode(argv, { ...env, INTERNAL_PORT: String(ok.port) }), 0, 'exit 0 when /healthz answers 200');
  t.same(ok.paths, ['/healthz'], 'asked /healthz once');
  const down = await internalPort(t, 503);
  t.equal(await exitCode(argv, { ...env, INTERNAL_PORT: String(down.port) }), 1, 'exit 1 on a 503');
  t.equal(await exitCode(argv, { ...env, INTERNAL_PORT: String(await freePort()) }), 1, 'exit 1 when nothing listens');
}
