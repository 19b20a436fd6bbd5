// deploy/k8s, checked without a cluster (kubectl's client dry-run still needs API discovery):
// - every object passes its Kubernetes OpenAPI schema (kubernetes-models' validate()), and tsc finds
//   no field the API does not know (the manifests type-checked against kubernetes-models' typings:
//   excess-property errors are what `kubectl apply --validate=strict` would refuse);
// - kustomization.yaml lists exactly the files here, one namespace everywhere;
// - each container's effective environment (image ENV, ConfigMap and Secret through envFrom and
//   keyRefs, its env) passes the programs' loadConfig; a key referenced in a ConfigMap or Secret
//   that does not exist fails, and so does a key nothing reads;
// - the cross-references Kubernetes does not check for you: Service selector and target port,
//   HPA target, PDB selectors, probes on /healthz and /readyz at the internal port, the scrape
//   annotation, the user the image runs as, grace period longer than preStop + drain,
//   ENGINE_WORKERS within the CPU request, two syncers.
// YAML is parsed by PyYAML (tools.ts says why).

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Config } from '../../core/runtime/config.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { assertConfig, imageByName, type Image } from './deployed.js';
import { arr, isObj, obj, run, yamlFile, type Obj } from './tools.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const DIR = 'deploy/k8s';
const files = readdirSync(packagePath(DIR)).filter((f) => /\.ya?ml$/.test(f)).sort();
const kustomization = obj(yamlFile(`${DIR}/kustomization.yaml`)[0], 'kustomization.yaml');
const manifests: { file: string; o: Obj }[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) => yamlFile(`${DIR}/${file}`).filter((d) => d !== null).map((d) => ({ file, o: obj(d, file) })));

const meta = (o: Obj): Obj => obj(o.metadata, `${String(o.kind)} metadata`);
const nameOf = (o: Obj): string => String(meta(o).name);
const ofKind = (kind: string): Obj[] => manifests.filter((m) => m.o.kind === kind).map((m) => m.o);
const one = (kind: string, name: string): Obj | undefined => ofKind(kind).find((o) => nameOf(o) === name);
const labelsOf = (o: Obj | undefined): Record<string, string> => (isObj(o) && isObj(o.labels) ? (o.labels as Record<string, string>) : {});

/** matchLabels only: these manifests use no matchExpressions, and this test says so if one appears. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  const s = obj(selector, 'selector');
  if (s.matchExpressions !== undefined) throw new Error('matchExpressions: extend this test to read them');
  const want = isObj(s.matchLabels) ? s.matchLabels : s; // a Service's selector is the map itself
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

const deployments = ofKind('Deployment');
const podSpec = (d: Obj): Obj => obj(obj(obj(d.spec, 'spec').template, 'template').spec, 'pod spec');
const podLabels = (d: Obj): Record<string, string> => labelsOf(obj(obj(d.spec, 'spec').template, 'template').metadata as Obj);
const containers = (d: Obj): Obj[] => arr(podSpec(d).containers, 'containers').map((c) => obj(c, 'container'));

interface Resolved {
  deployment: Obj;
  container: Obj;
  image: Image;
  env: Record<string, string>;
  /** What could not be resolved: a missing ConfigMap, Secret or key. */
  problems: string[];
}

const configMaps = new Map(ofKind('ConfigMap').map((c) => [nameOf(c), Object.fromEntries(Object.entries(obj(c.data ?? {}, 'data')).map(([k, v]) => [k, String(v)]))]));
const secrets = new Map(
  ofKind('Secret').map((s) => {
    const data = Object.entries(obj(s.data ?? {}, 'data')).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]);
    const stringData = Object.entries(obj(s.stringData ?? {}, 'stringData')).map(([k, v]) => [k, String(v)]);
    return [nameOf(s), Object.fromEntries([...data, ...stringData])];
  }),
);
const used = new Set<string>(); // `ConfigMap/name/key`, `Secret/name/key`

function resolve(deployment: Obj, container: Obj): Resolved | null {
  const image = imageByName(String(container.image));
  if (image === null) return null;
  const env: Record<string, string> = { ...image.env };
  const problems: string[] = [];
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined => (kind === 'ConfigMap' ? configMaps : secrets).get(name);
  for (const from of arr(container.envFrom ?? [], 'envFrom').map((f) => obj(f, 'envFrom'))) {
    const [kind, ref] = isObj(from.configMapRef) ? (['ConfigMap', from.configMapRef] as const) : (['Secret', obj(from.secretRef, 'secretRef')] as const);
    const data = source(kind, String(ref.name));
    if (data === undefined) {
      if (ref.optional !== true) problems.push(`envFrom ${kind} ${String(ref.name)} does not exist`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      env[String(from.prefix ?? '') + k] = v;
      used.add(`${kind}/${String(ref.name)}/${k}`);
    }
  }
  for (const e of arr(container.env ?? [], 'env').map((x) => obj(x, 'env'))) {
    const name = String(e.name);
    if (e.value !== undefined) env[name] = String(e.value);
    else if (isObj(e.valueFrom)) {
      const vf = e.valueFrom;
      const [kind, ref] = isObj(vf.configMapKeyRef) ? (['ConfigMap', vf.configMapKeyRef] as const) : isObj(vf.secretKeyRef) ? (['Secret', vf.secretKeyRef] as const) : ([null, null] as const);
      if (kind === null) {
        problems.push(`${name}: valueFrom other than a ConfigMap or Secret key: extend this test`);
        continue;
      }
      const value = source(kind, String(ref.name))?.[String(ref.key)];
      if (value === undefined) problems.push(`${name}: ${kind} ${String(ref.name)} has no key ${String(ref.key)}`);
      else {
        env[name] = value;
        used.add(`${kind}/${String(ref.name)}/${String(ref.key)}`);
      }
    }
  }
  return { deployment, container, image, env, problems };
}

const resolved = deployments.flatMap((d) => containers(d).map((c) => resolve(d, c)));
const arcade = resolved.filter((r): r is Resolved => r !== null);
const engines = arcade.filter((r) => r.image.service === 'engine');
const syncers = arcade.filter((r) => r.image.service === 'syncer');
const configs = new Map<Resolved, Config | null>();
const label = (r: Resolved): string => `${nameOf(r.deployment)}/${String(r.container.name)}`;

/** A container port by name or number. */
function containerPort(c: Obj, port: unknown): number | undefined {
  const ports = arr(c.ports ?? [], 'ports').map((p) => obj(p, 'port'));
  if (typeof port === 'number') return ports.some((p) => p.containerPort === port) ? port : undefined;
  return ports.find((p) => p.name === port)?.containerPort as number | undefined;
}

const cpus = (q: unknown): number => {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(q));
  if (!m) throw new Error(`unreadable CPU quantity ${String(q)}`);
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
};

t.test('kustomization.yaml: exactly the files here, one namespace everywhere', async (t) => {
  t.same(arr(kustomization.resources, 'resources').map(String).sort(), files.filter((f) => f !== 'kustomization.yaml'), 'resources = the manifest files');
  for (const file of files.filter((f) => f !== 'kustomization.yaml')) t.equal(manifests.filter((m) => m.file === file).length, 1, `${file}: one object`);
  const ns = String(kustomization.namespace);
  t.same(ofKind('Namespace').map(nameOf), [ns], `the Namespace object is ${ns}`);
  for (const { file, o } of manifests) if (o.kind !== 'Namespace') t.equal(meta(o).namespace, ns, `${file}: in ${ns}`);
  const imageNames = deployments.flatMap((d) => containers(d).map((c) => String(c.image).split(':')[0]));
  t.same(arr(kustomization.images ?? [], 'images').map((i) => String(obj(i, 'image').name)).sort(), [...new Set(imageNames)].sort(), 'kustomize images: the containers\' images');
});

t.test('every object passes its Kubernetes OpenAPI schema', async (t) => {
  for (const { file, o } of manifests) {
    const spec = `kubernetes-models/${String(o.apiVersion)}/${String(o.kind)}`;
    const mod = (await import(spec)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = mod[String(o.kind)]!;
    t.doesNotThrow(() => new Model(o).validate(), `${file}: ${String(o.apiVersion)} ${String(o.kind)} ${nameOf(o)}`);
  }
});

t.test('no field the API does not know (tsc against the Kubernetes typings)', async (t) => {
  const dir = scratchDir(t);
  const models = packagePath('node_modules/kubernetes-models');
  const checkFiles = manifests.map(({ file, o }) => {
    const ts = `${file.replace(/\.ya?ml$/, '')}.ts`;
    const kind = String(o.kind);
    writeFileSync(
      join(dir, ts),
      `// ${DIR}/${file}\nimport type { I${kind} } from ${JSON.stringify(`${models}/${String(o.apiVersion)}/${kind}.js`)};\n` +
        `export const manifest: I${kind} = ${JSON.stringify(o, null, 2)};\n`,
    );
    return ts;
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: [] }, files: checkFiles }),
  );
  const r = run(packagePath('node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')]);
  t.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`.trim());
  t.equal(checkFiles.length, manifests.length, `${checkFiles.length} manifests type-checked`);
});

t.test('every container: a valid configuration from its image, ConfigMap, Secret and env', async (t) => {
  t.equal(arcade.length, resolved.length, 'every container runs one of our images');
  for (const r of arcade) {
    t.same(r.problems, [], `${label(r)}: every ConfigMap, Secret and key it names exists`);
    configs.set(r, assertConfig(t, r.env, r.image.service, label(r)));
  }
  const keys = [...[...configMaps].flatMap(([n, d]) => Object.keys(d).map((k) => `ConfigMap/${n}/${k}`)), ...[...secrets].flatMap(([n, d]) => Object.keys(d).map((k) => `Secret/${n}/${k}`))];
  t.same(keys.filter((k) => !used.has(k)), [], 'every ConfigMap and Secret key reaches a container');
  t.ok(engines.length === 1 && syncers.length === 1, 'one engine and one syncer container');
});

t.test('probes: liveness /healthz and readiness /readyz on the internal port', async (t) => {
  for (const r of arcade) {
    const config = configs.get(r);
    if (!config) continue;
    for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
      const get = obj(obj(r.container[probe], `${label(r)} ${probe}`).httpGet, `${probe}.httpGet`);
      t.equal(get.path, path, `${label(r)}: ${probe} asks ${path}`);
      t.equal(containerPort(r.container, get.port), config.internalPort, `${label(r)}: ${probe} on port ${String(get.port)} = INTERNAL_PORT ${config.internalPort}`);
    }
    const annotations = labelsOf({ labels: obj(obj(obj(r.deployment.spec, 'spec').template, 'template').metadata, 'metadata').annotations });
    t.equal(annotations['prometheus.io/port'], String(config.internalPort), `${label(r)}: scraped on the internal port`);
    t.equal(annotations['prometheus.io/path'] ?? '/metrics', '/metrics', `${label(r)}: at /metrics`);
    if (r.image.service === 'engine') t.equal(containerPort(r.container, 'http'), config.port, `${label(r)}: port http = PORT ${config.port}`);
  }
});

t.test('pods: the image\'s non-root user, a read-only root, time to drain', async (t) => {
  for (const r of arcade) {
    const config = configs.get(r);
    if (!config) continue;
    const pod = podSpec(r.deployment);
    const podSec = obj(pod.securityContext ?? {}, 'securityContext');
    const sec = obj(r.container.securityContext ?? {}, 'container securityContext');
    t.equal(podSec.runAsNonRoot, true, `${label(r)}: runAsNonRoot`);
    t.equal(sec.runAsUser ?? podSec.runAsUser ?? r.image.uid, r.image.uid, `${label(r)}: as the image's uid ${r.image.uid}`);
    t.equal(sec.allowPrivilegeEscalation, false, `${label(r)}: no privilege escalation`);
    // A read-only root is safe: with Redis and S3 (assertConfig) nothing writes DATA_DIR.
    t.equal(sec.readOnlyRootFilesystem, true, `${label(r)}: read-only root filesystem`);
    const preStop = obj(r.container.lifecycle ?? {}, 'lifecycle').preStop;
    const command = isObj(preStop) && isObj(preStop.exec) ? arr(preStop.exec.command, 'command').map(String) : [];
    const pause = command[0] === 'sleep' ? Number(command[1]) : 0;
    const grace = Number(pod.terminationGracePeriodSeconds ?? 30);
    t.ok(grace > pause + config.shutdownTimeoutMs / 1000, `${label(r)}: terminationGracePeriodSeconds ${grace} > preStop ${pause} s + drain ${config.shutdownTimeoutMs / 1000} s`);
    t.ok(one('ServiceAccount', String(pod.serviceAccountName ?? 'default')), `${label(r)}: service account ${String(pod.serviceAccountName)} defined here`);
    const d = obj(r.deployment.spec, 'spec');
    t.ok(selects(d.selector, podLabels(r.deployment)), `${nameOf(r.deployment)}: its selector matches its pod template`);
  }
  for (const r of engines) {
    const config = configs.get(r);
    if (!config) continue;
    const requests = obj(obj(r.container.resources, 'resources').requests, 'requests');
    t.ok(config.engineWorkers <= Math.max(1, Math.floor(cpus(requests.cpu))), `${label(r)}: ENGINE_WORKERS ${config.engineWorkers} within the CPU request ${String(requests.cpu)}`);
  }
});

t.test('the engine Service routes to the engine pods\' public port, and only to them', async (t) => {
  const services = ofKind('Service');
  t.equal(services.length, 1, 'one Service');
  const svc = obj(services[0]!.spec, 'Service spec');
  for (const r of engines) t.ok(selects(svc.selector, podLabels(r.deployment)), `selects ${nameOf(r.deployment)}`);
  for (const r of syncers) t.notOk(selects(svc.selector, podLabels(r.deployment)), `does not select ${nameOf(r.deployment)}`);
  for (const p of arr(svc.ports, 'ports').map((x) => obj(x, 'port'))) {
    for (const r of engines) t.equal(containerPort(r.container, p.targetPort ?? p.port), configs.get(r)?.port, `port ${String(p.port)} → ${String(p.targetPort)} = the engine's PORT`);
  }
});

t.test('the HPA scales the engine Deployment, which leaves replicas to it', async (t) => {
  const hpas = ofKind('HorizontalPodAutoscaler');
  t.equal(hpas.length, 1, 'one HPA');
  const spec = obj(hpas[0]!.spec, 'HPA spec');
  const engine = engines[0]!.deployment;
  t.same(spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: nameOf(engine) }, `targets ${nameOf(engine)}`);
  t.equal(obj(engine.spec, 'spec').replicas, undefined, 'the Deployment sets no replicas (an apply would reset the HPA\'s count)');
  t.ok(Number(spec.minReplicas) >= 2, `minReplicas ${String(spec.minReplicas)}: no single engine`);
  t.ok(Number(spec.maxReplicas) > Number(spec.minReplicas), `maxReplicas ${String(spec.maxReplicas)}`);
  for (const m of arr(spec.metrics, 'metrics').map((x) => obj(x, 'metric'))) {
    const name = obj(m.resource ?? {}, 'resource').name;
    if (name !== undefined) t.ok(obj(obj(engines[0]!.container.resources, 'resources').requests, 'requests')[String(name)], `${String(name)} utilisation: the container requests ${String(name)}`);
  }
});

t.test('PodDisruptionBudgets: each selects one Deployment\'s pods and lets a drain proceed', async (t) => {
  const pdbs = ofKind('PodDisruptionBudget');
  const hpaMin = Number(obj(ofKind('HorizontalPodAutoscaler')[0]!.spec, 'spec').minReplicas);
  for (const r of [...engines, ...syncers]) {
    const covering = pdbs.filter((p) => selects(obj(p.spec, 'spec').selector, podLabels(r.deployment)));
    t.equal(covering.length, 1, `${nameOf(r.deployment)}: one PDB`);
    if (covering.length !== 1) continue;
    const spec = obj(covering[0]!.spec, 'spec');
    const replicas = r.image.service === 'engine' ? hpaMin : Number(obj(r.deployment.spec, 'spec').replicas);
    const allowed = spec.maxUnavailable !== undefined ? Number(spec.maxUnavailable) : replicas - Number(spec.minAvailable);
    t.ok(allowed >= 1 && allowed < replicas, `${nameOf(r.deployment)}: at ${replicas} replicas a drain may take ${allowed} at a time, never all`);
    for (const other of [...engines, ...syncers].filter((o) => o.deployment !== r.deployment)) {
      t.notOk(selects(spec.selector, podLabels(other.deployment)), `and not ${nameOf(other.deployment)}'s pods`);
    }
  }
});

t.test('engine and syncer under their own service accounts (read-only and read-write IAM roles)', async (t) => {
  const accounts = arcade.map((r) => String(podSpec(r.deployment).serviceAccountName));
  t.equal(new Set(accounts).size, accounts.length, accounts.join(', '));
  for (const a of accounts) t.equal(one('ServiceAccount', a)?.automountServiceAccountToken, false, `${a}: no Kubernetes API token mounted`);
});

t.test('two syncers, and a standby always there during a rollout', async (t) => {
  for (const r of syncers) {
    const spec = obj(r.deployment.spec, 'spec');
    t.equal(spec.replicas, 2, `${nameOf(r.deployment)}: replicas 2 (the Redis leader lock keeps one active)`);
    const rolling = obj(obj(spec.strategy ?? {}, 'strategy').rollingUpdate ?? {}, 'rollingUpdate');
    t.equal(rolling.maxUnavailable, 0, 'rolling update: a new syncer joins before an old one leaves');
  }
});
