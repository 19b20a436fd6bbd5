// The two images, checked without a Docker engine (this machine has none): Dockerfile.engine and
// Dockerfile.syncer are read as the builder reads them (test/deploy/dockerfile.ts) and held to
// these rules: multi-stage, every stage on node:20-bookworm-slim (glibc ≥ 2.27 for uWS), production
// dependencies from `npm ci --omit=dev`, a numeric non-root USER, CMD running the program's dist/
// entry. And what would break a real build or a real start:
// - the build stage copies every source file the entry reaches through its imports;
// - every file the program reads at run time through packagePath('…') is copied into the final
//   stage at its repo path, beside package.json (packagePath finds the root by it);
// - no COPY source is missing or left out of the build context by .dockerignore;
// - the HEALTHCHECK command, run here for real against a stand-in internal port, asks for /healthz
//   on INTERNAL_PORT and exits 0 only on a 2xx.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { loadConfig, type Service } from '../../core/runtime/config.js';
import { assertHealthcheck } from './deployed.js';
import { commandArgv, copiedTo, ignored, lastOf, parseDockerfile, parseDockerignore, reachFrom, readDockerignore, repoFileExists, sourceOfDist, type Dockerfile } from './dockerfile.js';

/** `package file`: loaded only when the program runs from .ts source (tests, under tsx), never from dist/. */
const FROM_SOURCE_ONLY = new Set(['tsx engine/indexes/index-builder.ts']);

const BASE = 'node:20-bookworm-slim';
const images: { dockerfile: string; service: Service; entry: string }[] = [
  { dockerfile: 'Dockerfile.engine', service: 'engine', entry: 'engine/main.ts' },
  { dockerfile: 'Dockerfile.syncer', service: 'syncer', entry: 'syncer/main.ts' },
];
const ignoreRules = readDockerignore();

for (const { dockerfile, service, entry } of images) {
  const df: Dockerfile = parseDockerfile(dockerfile);
  const final = df.final;

  t.test(`${dockerfile}: multi-stage, every stage on ${BASE}`, async (t) => {
    t.ok(df.stages.length >= 2, `${df.stages.length} stages`);
    for (const s of df.stages) t.equal(s.image, BASE, `stage ${s.name ?? '(final)'} FROM ${s.image}`);
  });

  t.test(`${dockerfile}: the final stage's node_modules come from npm ci --omit=dev`, async (t) => {
    const ownInstall = final.runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r));
    const modules = final.copies.filter((c) => c.sources.includes('/app/node_modules') || c.sources.some((s) => s.endsWith('node_modules')));
    if (ownInstall) t.equal(modules.length, 0, 'no node_modules copied over its own install');
    else {
      t.equal(modules.length, 1, 'node_modules copied from one stage');
      const from = df.stages.find((s) => s.name === modules[0]?.from);
      t.ok(from, `stage ${modules[0]?.from} exists`);
      t.ok(from?.runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), `stage ${from?.name} runs npm ci --omit=dev`);
      t.notOk(from?.runs.some((r) => /\bnpm (ci|install)\b/.test(r) && !/--omit=dev/.test(r)), 'and no install with dev dependencies');
    }
    t.notOk(final.runs.some((r) => /\bnpm (i|install)\b/.test(r)), 'no npm install (npm ci only: exactly the lock file)');
  });

  t.test(`${dockerfile}: runs as a numeric non-root user`, async (t) => {
    const user = final.user;
    t.ok(user, 'the final stage sets USER');
    const [uid, gid] = (user ?? '').split(':');
    t.match(uid, /^[1-9]\d*$/, `USER ${user}: a numeric uid other than 0 (Kubernetes runAsNonRoot can verify it)`);
    if (gid !== undefined) t.match(gid, /^[1-9]\d*$/, 'and a non-root gid');
    const userLine = lastOf(final, 'USER')!.line;
    const cmdLine = lastOf(final, 'CMD')!.line;
    t.ok(userLine < cmdLine, 'USER comes before CMD');
  });

  t.test(`${dockerfile}: CMD runs the compiled ${entry}`, async (t) => {
    const cmd = lastOf(final, 'CMD');
    t.ok(cmd?.args.trim().startsWith('['), 'exec form (node is PID 1 and receives SIGTERM itself)');
    const argv = commandArgv(cmd!.args);
    t.same(argv, ['node', `dist/${service}/main.js`], `CMD ${JSON.stringify(argv)}`);
    t.equal(sourceOfDist(argv[1]!), entry, `${argv[1]} is what tsc makes of ${entry}`);
    t.equal(lastOf(final, 'STOPSIGNAL')?.args.trim() ?? 'SIGTERM', 'SIGTERM', 'SIGTERM starts the drain');
    const dist = final.copies.find((c) => c.sources.includes('/app/dist'));
    t.ok(dist, 'dist/ copied from the build stage');
    t.equal(dist?.dest, `${final.workdir}/dist`, 'into WORKDIR, where CMD looks for it');
    const build = df.stages.find((s) => s.name === dist?.from);
    t.ok(build?.runs.some((r) => /\btsc\b.*-p tsconfig\.json/.test(r)), `stage ${dist?.from} compiles with tsconfig.json (outDir dist)`);
  });

  t.test(`${dockerfile}: the build stage copies every source ${entry} reaches`, async (t) => {
    const dist = final.copies.find((c) => c.sources.includes('/app/dist'))!;
    const build = df.stages.find((s) => s.name === dist.from)!;
    const reach = reachFrom(entry);
    t.ok(reach.sources.length > 10, `${reach.sources.length} source files reached`);
    const missing = reach.sources.filter((f) => copiedTo(build, f) !== `${build.workdir}/${f}`);
    t.same(missing, [], 'every reached source lands at its repo path in the build stage');
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) t.equal(copiedTo(build, f), `${build.workdir}/${f}`, `${f} copied`);
  });

  t.test(`${dockerfile}: every npm package ${entry} loads is a production dependency`, async (t) => {
    // The final stage installs with --omit=dev: a devDependency imported at run time would build
    // and pass every test here, then fail to start in the image.
    const { dependencies = {} } = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const reach = reachFrom(entry);
    const names = [...new Set(reach.packages.map((p) => p.name))].sort();
    t.ok(names.includes('uWebSockets.js') || service === 'syncer', `loads ${names.join(', ')}`);
    t.same(
      reach.packages.filter((p) => !(p.name in dependencies) && !FROM_SOURCE_ONLY.has(`${p.name} ${p.from}`)).map((p) => `${p.name} (imported by ${p.from})`),
      [],
      'every one is in package.json "dependencies"',
    );
  });

  t.test(`${dockerfile}: every file read at run time through packagePath() is in the final stage`, async (t) => {
    const reach = reachFrom(entry);
    t.same(reach.unresolved, [], 'every packagePath() argument is a literal or a const this test can read');
    t.ok(reach.runtimeFiles.length > 0, reach.runtimeFiles.map((r) => r.file).join(', '));
    for (const { file, from } of reach.runtimeFiles) {
      t.ok(repoFileExists(file), `${file} (read by ${from}) exists`);
      t.notOk(ignored(ignoreRules, file), `${file} is not left out by .dockerignore`);
      t.equal(copiedTo(final, file), `${final.workdir}/${file}`, `${file} copied to its repo path under WORKDIR`);
    }
    t.equal(copiedTo(final, 'package.json'), `${final.workdir}/package.json`, 'package.json at the root packagePath() finds by it');
  });

  t.test(`${dockerfile}: every COPY source exists and gets through .dockerignore`, async (t) => {
    for (const s of df.stages) {
      for (const c of s.copies) {
        if (c.from !== null) {
          t.ok(df.stages.some((o) => o.name === c.from), `--from=${c.from} names a stage`);
          continue;
        }
        for (const src of c.sources) {
          t.ok(repoFileExists(src), `${src} exists`);
          t.notOk(ignored(ignoreRules, src), `${src} is in the build context`);
        }
      }
    }
  });

  t.test(`${dockerfile}: the image's ENV is a valid ${service} configuration, ports exposed`, async (t) => {
    // With the stores a deployment adds (the manifest tests check the real ones).
    const config = loadConfig({ ...final.env, REDIS_URL: 'redis://redis:6379', S3_BUCKET: 'b', API_KEYS: `game:sha256:${'0'.repeat(64)}`, BEACON_KEYS: 'k'.repeat(44) }, service);
    const exposed = lastOf(final, 'EXPOSE')?.args.trim().split(/\s+/).map(Number) ?? [];
    t.ok(exposed.includes(config.internalPort), `EXPOSE ${exposed.join(' ')} includes the internal port ${config.internalPort}`);
    if (service === 'engine') t.ok(exposed.includes(config.port), `and the public port ${config.port}`);
    t.equal(final.env.NODE_ENV, 'production', 'NODE_ENV=production');
  });

  t.test(`${dockerfile}: HEALTHCHECK asks /healthz on INTERNAL_PORT, healthy only on a 2xx`, async (t) => {
    const hc = lastOf(final, 'HEALTHCHECK');
    t.ok(hc, 'the final stage has a HEALTHCHECK');
    const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/.exec(hc!.args.trim());
    t.ok(m, 'HEALTHCHECK [options] CMD …');
    t.match(m![1], /--interval=\d+s/, 'an interval');
    t.match(m![1], /--timeout=\d+s/, 'a timeout');
    await assertHealthcheck(t, commandArgv(m![2]!), final.env);

    // Without an override it uses the image's INTERNAL_PORT, the program's default.
    const config = loadConfig({ ...final.env, REDIS_URL: 'redis://r:6379', API_KEYS: `game:sha256:${'0'.repeat(64)}`, BEACON_KEYS: 'k'.repeat(44) }, service);
    t.equal(final.env.INTERNAL_PORT, String(config.internalPort), `ENV INTERNAL_PORT=${final.env.INTERNAL_PORT}`);
  });
}

t.test('.dockerignore keeps secrets, history and build output out of the context', async (t) => {
  for (const f of ['.git/config', '.env', 'node_modules/ioredis/package.json', 'dist/engine/main.js', 'data/events/x', 'test/unit/core/runtime/config.test.ts', 'deploy/k8s/secret.yaml', '.tap/x']) {
    t.ok(ignored(ignoreRules, f), `${f} left out`);
  }
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'engine/main.ts', 'syncer/votes/count-votes.lua']) {
    t.notOk(ignored(ignoreRules, f), `${f} sent`);
  }
});

t.test('the .dockerignore reader follows the builder\'s rules', async (t) => {
  // Patterns as moby's patternmatcher reads them, on made-up rules (not our .dockerignore).
  const rules = parseDockerignore('# comment\n*\n!src/\nsrc/**/*.log\n/docs\n!docs/keep.md\n');
  t.ok(ignored(rules, 'README.md'), '* leaves out a root file');
  t.ok(ignored(rules, 'other/deep/file.ts'), 'and whole folders (a match on a parent)');
  t.notOk(ignored(rules, 'src/a/b.ts'), '!src/ brings a folder back, with everything inside');
  t.ok(ignored(rules, 'src/a/b/c.log'), '** spans folders');
  t.ok(ignored(rules, 'src/c.log'), '**/ also matches no folder');
  t.notOk(ignored(rules, 'docs/keep.md'), 'the last matching line wins');
  t.ok(ignored(rules, 'docs/other.md'), 'a leading / anchors at the root');
});
