// deploy/compose.yaml, as docker-compose itself reads it: `docker-compose config` must accept the
// file (its schema, merges, depends_on conditions), and its resolved output (anchors merged, paths
// absolute; parsed with PyYAML, see tools.ts) must describe a stack that would come up and work:
// - every engine and syncer container's environment (image ENV + compose environment) passes the
//   programs' loadConfig in production mode, and its stores name services of this file: Redis,
//   and MinIO with the bucket the one-shot creates and the credentials MinIO runs with;
// - Redis keeps its data (AOF on, a volume); engines and syncers wait for Redis to be healthy and
//   the bucket to exist; a file:// feed names a file the syncer image ships;
// - published ports are the programs' own, on 127.0.0.1 only, no host port twice;
// - Prometheus scrapes every engine and syncer on its internal port (its config is
//   deploy/prometheus/prometheus.yml, mounted from there), and Grafana's provisioning (from
//   deploy/grafana/) finds the dashboards where they are mounted and Prometheus where it runs.
// Docker itself is not needed: `config` only reads.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../core/runtime/config.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { copiedTo } from './dockerfile.js';
import { assertConfig, hostPort, image, type Image } from './deployed.js';
import { arr, isObj, obj, requireTool, run, yamlDocuments, yamlFile, type Obj } from './tools.js';

const FILE = 'deploy/compose.yaml';
const compose = requireTool('docker-compose', 'docker-compose');
const root = packagePath('.');

const checked = run(compose, ['-f', FILE, 'config', '-q']);
// When compose refuses the file, the first test says why and the others find no service.
const resolved: Obj = checked.status === 0 ? obj(yamlDocuments(run(compose, ['-f', FILE, 'config']).stdout)[0], 'docker-compose config output') : { services: {} };
const services = obj(resolved.services, 'services');
const svc = (name: string): Obj => obj(services[name], `service ${name}`);

/** Services built from one of our Dockerfiles, with the image they build. */
const arcade: { name: string; s: Obj; image: Image }[] = [];
for (const [name, s] of Object.entries(services)) {
  if (!isObj(s) || !isObj(s.build)) continue;
  arcade.push({ name, s, image: image(String(s.build.dockerfile)) });
}
const engines = arcade.filter((a) => a.image.service === 'engine');
const syncers = arcade.filter((a) => a.image.service === 'syncer');

const env = (s: Obj): Record<string, string> => {
  const e = s.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(obj(e, 'environment')).map(([k, v]) => [k, String(v)]));
};

/** Published ports as docker-compose config prints them: [host_ip:]host:container[/proto]. */
function ports(s: Obj): { ip: string | null; host: number; container: number }[] {
  return arr(s.ports ?? [], 'ports').map((p) => {
    const m = /^(?:([\d.]+):)?(\d+):(\d+)(?:\/\w+)?$/.exec(String(p));
    if (!m) throw new Error(`unreadable port ${String(p)}`);
    return { ip: m[1] ?? null, host: Number(m[2]), container: Number(m[3]) };
  });
}

/** Bind mounts and volumes as printed: source:target[:mode]. */
function mounts(s: Obj): { source: string; target: string }[] {
  return arr(s.volumes ?? [], 'volumes').map((v) => {
    const [source, target] = String(v).split(':');
    return { source: source!, target: target! };
  });
}

const dependsOn = (s: Obj): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(s.depends_on ?? {}, 'depends_on')).map(([k, v]) => [k, String(obj(v, k).condition)]));

/** Names a container answers to on the compose network: its service name and its aliases. */
function dnsNames(name: string, s: Obj): string[] {
  const names = [name];
  if (isObj(s.networks)) for (const n of Object.values(s.networks)) if (isObj(n) && Array.isArray(n.aliases)) names.push(...n.aliases.map(String));
  return names;
}

/** The configuration the first test checks (it reports why, should this throw). */
const configOf = (a: { s: Obj; image: Image }) => loadConfig({ ...a.image.env, ...env(a.s) }, a.image.service);

const seconds = (d: unknown): number => {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(String(d ?? ''));
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : 10; // compose's default: 10 s
};

t.test('docker-compose config accepts the file', async (t) => {
  t.equal(checked.status, 0, `docker-compose config -q exits 0 ${checked.stderr}`);
  // Compose's own warnings (an unset variable, an ignored key) are plain lines on stderr; a Python
  // library's DeprecationWarning (file:line: XWarning: … and an indented source line) is not ours.
  const composeSays = checked.stderr.split('\n').filter((l) => l.trim() !== '' && !/\w+Warning: /.test(l) && !/^\s/.test(l));
  t.same(composeSays, [], 'no warning from compose');
  t.ok(engines.length >= 2, `${engines.length} engines: ${engines.map((e) => e.name).join(', ')}`);
  t.ok(syncers.length >= 2, `${syncers.length} syncers: ${syncers.map((e) => e.name).join(', ')}`);
  for (const a of arcade) t.equal(obj(a.s.build, 'build').context, root, `${a.name} builds from the repository root`);
});

t.test('Redis keeps its data: AOF on, /data on a volume', async (t) => {
  const redis = svc('redis');
  const command = arr(redis.command, 'redis command').map(String);
  const i = command.indexOf('--appendonly');
  t.equal(command[i + 1], 'yes', `${command.join(' ')}`);
  const data = mounts(redis).find((m) => m.target === '/data');
  t.ok(data && obj(resolved.volumes, 'volumes')[data.source] !== undefined, 'a named volume at /data');
  t.ok(isObj(redis.healthcheck), 'a healthcheck (engines wait for service_healthy)');
});

t.test('every engine and syncer: a valid configuration whose stores are this stack\'s', async (t) => {
  const init = env(svc('minio-init'));
  const minio = env(svc('minio'));
  for (const a of arcade) {
    const e = { ...a.image.env, ...env(a.s) };
    const config = assertConfig(t, e, a.image.service, a.name);
    if (config === null) continue;
    const redis = hostPort(config.redisUrl!);
    t.ok(services[redis.host], `${a.name}: REDIS_URL names the service ${redis.host}`);
    t.equal(redis.port, 6379, `${a.name}: on Redis's port`);
    const s3 = hostPort(config.s3!.endpoint!);
    t.equal(s3.host, 'minio', `${a.name}: S3_ENDPOINT is the MinIO service`);
    t.equal(s3.port, 9000, `${a.name}: on MinIO's S3 port`);
    t.ok(config.s3!.forcePathStyle, `${a.name}: path-style addressing (MinIO)`);
    t.equal(config.s3!.bucket, init.S3_BUCKET, `${a.name}: the bucket minio-init creates`);
    t.equal(e.AWS_ACCESS_KEY_ID, minio.MINIO_ROOT_USER, `${a.name}: MinIO's user`);
    t.equal(e.AWS_SECRET_ACCESS_KEY, minio.MINIO_ROOT_PASSWORD, `${a.name}: MinIO's password`);
    t.same(dependsOn(a.s), { redis: 'service_healthy', 'minio-init': 'service_completed_successfully' }, `${a.name}: starts after Redis is healthy and the bucket exists`);
    t.ok(seconds(a.s.stop_grace_period) * 1000 > config.shutdownTimeoutMs, `${a.name}: stop_grace_period ${String(a.s.stop_grace_period)} outlasts the drain (${config.shutdownTimeoutMs} ms)`);
    if (e.FEED_URL?.startsWith('file://')) {
      const path = new URL(e.FEED_URL).pathname;
      const rel = posix.relative(a.image.final.workdir, path);
      t.equal(copiedTo(a.image.final, rel), path, `${a.name}: FEED_URL ${e.FEED_URL} is a file ${a.image.dockerfile} copies`);
    }
  }
  t.same(dependsOn(svc('minio-init')), { minio: 'service_started' }, 'minio-init waits for MinIO (and retries until it answers)');
  t.same(hostPort(init.S3_ENDPOINT!), { host: 'minio', port: 9000 }, 'minio-init talks to the MinIO service');
  t.equal(init.MINIO_ROOT_USER, minio.MINIO_ROOT_USER, 'as MinIO\'s user');
  t.equal(init.MINIO_ROOT_PASSWORD, minio.MINIO_ROOT_PASSWORD, 'with its password');
  const script = mounts(svc('minio-init')).find((m) => arr(svc('minio-init').entrypoint, 'entrypoint').includes(m.target));
  t.ok(script && existsSync(script.source), `the bucket script is mounted from the repository (${script?.source})`);
});

t.test('published ports: the programs\' own, on 127.0.0.1, each host port once', async (t) => {
  const hostPorts: number[] = [];
  for (const [name, s] of Object.entries(services)) {
    for (const p of ports(obj(s, name))) {
      t.equal(p.ip, '127.0.0.1', `${name}: ${p.host} published on loopback only (the keys here are public)`);
      hostPorts.push(p.host);
    }
  }
  t.equal(new Set(hostPorts).size, hostPorts.length, `no host port twice: ${hostPorts.join(' ')}`);
  for (const a of arcade) {
    const config = configOf(a);
    const own = a.image.service === 'engine' ? [config.port, config.internalPort] : [config.internalPort];
    const published = ports(a.s).map((p) => p.container);
    t.same(published.sort(), own.sort(), `${a.name} publishes its ports ${own.join(', ')}`);
  }
});

t.test('Prometheus scrapes every engine and syncer on its internal port', async (t) => {
  const prom = svc('prometheus');
  const configArg = arr(prom.command, 'prometheus command').map(String).find((c) => c.startsWith('--config.file='));
  const inContainer = configArg?.slice('--config.file='.length) ?? '/etc/prometheus/prometheus.yml';
  const mount = mounts(prom).find((m) => inContainer.startsWith(m.target + '/'));
  t.equal(mount?.source, packagePath('deploy/prometheus'), 'deploy/prometheus/ mounted where --config.file points');
  const onDisk = join(mount!.source, inContainer.slice(mount!.target.length));
  t.ok(existsSync(onDisk), `${onDisk} exists`);
  const scrape = arr(obj(yamlFile(posix.relative(root, onDisk))[0], 'prometheus.yml').scrape_configs, 'scrape_configs').map((c) => obj(c, 'scrape config'));

  const scraped = (name: string, s: Obj, port: number): string | null => {
    for (const c of scrape) {
      for (const sc of arr(c.static_configs ?? [], 'static_configs')) {
        if (arr(obj(sc, 'static config').targets, 'targets').includes(`${name}:${port}`)) return String(c.job_name);
      }
      for (const dns of arr(c.dns_sd_configs ?? [], 'dns_sd_configs')) {
        const d = obj(dns, 'dns_sd_config');
        if (Number(d.port) === port && arr(d.names, 'names').some((n) => dnsNames(name, s).includes(String(n)))) return String(c.job_name);
      }
    }
    return null;
  };
  for (const a of arcade) {
    const config = configOf(a);
    t.equal(scraped(a.name, a.s, config.internalPort), a.image.service, `${a.name}:${config.internalPort} scraped by job ${a.image.service}`);
  }
  t.ok(ports(prom).some((p) => p.container === 9090), 'Prometheus on 9090');
});

t.test('Grafana: provisioning and dashboards from deploy/grafana/, wired to this Prometheus', async (t) => {
  const grafana = svc('grafana');
  const m = mounts(grafana);
  const provisioning = m.find((x) => x.target === '/etc/grafana/provisioning');
  t.equal(provisioning?.source, packagePath('deploy/grafana/provisioning'), 'provisioning mounted where Grafana reads it');
  const dashboards = m.find((x) => x.source === packagePath('deploy/grafana/dashboards'));
  t.ok(dashboards, 'deploy/grafana/dashboards mounted');
  t.ok(readdirSync(dashboards!.source).some((f) => f.endsWith('.json')), 'with at least one dashboard');

  const yamls = (dir: string): string[] =>
    existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f)) : [];
  const providers = yamls(join(provisioning!.source, 'dashboards')).flatMap((f) => arr(obj(yamlFile(posix.relative(root, f))[0], f).providers ?? [], 'providers'));
  t.ok(providers.length > 0, 'a dashboard provider');
  for (const p of providers) t.equal(obj(obj(p, 'provider').options, 'options').path, dashboards!.target, 'the provider reads the folder the dashboards are mounted at');
  const sources = yamls(join(provisioning!.source, 'datasources')).flatMap((f) => arr(obj(yamlFile(posix.relative(root, f))[0], f).datasources ?? [], 'datasources'));
  const prom = sources.map((s) => obj(s, 'datasource')).filter((s) => s.type === 'prometheus');
  t.ok(prom.length > 0, 'a Prometheus data source');
  for (const s of prom) t.same(hostPort(String(s.url)), { host: 'prometheus', port: 9090 }, `${String(s.url)} is the prometheus service`);
});
