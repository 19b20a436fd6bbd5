// What the manifest tests know about the two images and check of every deployed container: which
// program an image runs (from its CMD), the environment it brings (its final ENV, under the
// manifest's), its user; and the container's effective environment run through the programs' own
// loadConfig, so a typo'd value in a manifest fails here as it would fail the process at start-up.

import type { Test } from 'tap';
import { loadConfig, type Config, type Service } from '../../engine/core/config.js';
import { ConfigError } from '../../engine/core/errors.js';
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
 * Asserts that `env` (the container's whole environment, image ENV included) is a valid production
 * configuration of the program with no warning (a setting that does nothing is a manifest mistake
 * too), and returns it.
 */
export function assertConfig(t: Test, env: Record<string, string>, service: Service, what: string): Config | null {
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
