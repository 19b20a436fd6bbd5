// deploy/ecs: the engine and syncer task definitions, as `aws ecs register-task-definition
// --cli-input-json file://…` would send them:
// - botocore (the AWS SDK for Python, Debian python3-botocore) validates each file against the ECS
//   API's own RegisterTaskDefinition input model, the check the AWS CLI makes before it sends
//   anything: unknown fields, wrong types, missing required ones;
// - Fargate's rules the model does not carry: awsvpc networking, a valid CPU/memory pair;
// - the container's environment (image ENV, environment, and stand-ins for the values held in
//   Secrets Manager) passes the programs' loadConfig; its ports are the programs' own; its health
//   check command, run here for real, asks /healthz on the internal port (ECS does not use the
//   image's HEALTHCHECK); it runs as the image's user and stops after the drain, not during it.

import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { Service } from '../../core/runtime/config.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { assertConfig, assertHealthcheck, imageByName } from './deployed.js';
import { arr, obj, python } from './tools.js';

const DIR = 'deploy/ecs';
const expected: Record<string, Service> = { 'engine-task-definition.json': 'engine', 'syncer-task-definition.json': 'syncer' };

/** Values of `secrets` (fetched by ECS from Secrets Manager or SSM at start): well-formed stand-ins. */
const SECRET_STAND_INS: Record<string, string> = {
  API_KEYS: `game:sha256:${'0'.repeat(64)},admin:sha256:${'f'.repeat(64)}`,
  REDIS_URL: 'rediss://arcade.example.cache.amazonaws.com:6379',
  BEACON_KEYS: 'k'.repeat(44),
};

/** Fargate task sizes: CPU units → memory MiB allowed (AWS ECS developer guide, "Task CPU and memory"). */
const FARGATE: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const VALIDATE = `
import json, sys
import botocore.session, botocore.validate, botocore.exceptions
shape = botocore.session.get_session().get_service_model('ecs').operation_model('RegisterTaskDefinition').input_shape
out = {}
for path in sys.argv[1:]:
    try:
        botocore.validate.validate_parameters(json.load(open(path)), shape)
        out[path] = None
    except botocore.exceptions.ParamValidationError as e:
        out[path] = str(e)
print(json.dumps(out))
`;

const files = readdirSync(packagePath(DIR)).filter((f) => f.endsWith('.json')).sort();
const defs = files.map((file) => ({ file, def: obj(JSON.parse(readFileSync(packagePath(`${DIR}/${file}`), 'utf8')), file) }));

t.test('the engine and the syncer task definitions, and nothing else', async (t) => {
  t.same(files, Object.keys(expected).sort(), files.join(', '));
  t.equal(new Set(defs.map((d) => d.def.family)).size, defs.length, 'distinct families');
  t.equal(new Set(defs.map((d) => d.def.taskRoleArn)).size, defs.length, 'distinct task roles: the engine only reads the bucket, the syncer writes it');
});

t.test('botocore: valid RegisterTaskDefinition input for the ECS API', async (t) => {
  const paths = files.map((f) => packagePath(`${DIR}/${f}`));
  const verdicts = python(VALIDATE, paths) as Record<string, string | null>;
  for (const p of paths) t.equal(verdicts[p], null, `${p.slice(packagePath('.').length + 1)}: ${verdicts[p] ?? 'valid'}`);
});

for (const { file, def } of defs) {
  const service = expected[file]!;
  const containers = arr(def.containerDefinitions, 'containerDefinitions').map((c) => obj(c, 'container'));
  const c = containers[0]!;
  const image = imageByName(String(c.image));

  t.test(`${file}: Fargate-ready`, async (t) => {
    t.same(def.requiresCompatibilities, ['FARGATE'], 'for Fargate');
    t.equal(def.networkMode, 'awsvpc', 'awsvpc (the only mode Fargate has)');
    const cpu = Number(def.cpu);
    const memory = Number(def.memory);
    t.ok(FARGATE[cpu]?.includes(memory), `${cpu} CPU units with ${memory} MiB is a Fargate size`);
    t.equal(containers.length, 1, 'one container');
    t.equal(c.essential, true, 'essential: the task stops with it');
    t.ok(image, `${String(c.image)} is one of our images`);
    t.equal(image?.service, service, `the ${service} image`);
    t.match(String(def.executionRoleArn), /^arn:aws:iam::\d{12}:role\//, 'an execution role (pulls the image, reads the secrets)');
    t.match(String(def.taskRoleArn), /^arn:aws:iam::\d{12}:role\//, 'a task role (S3 credentials for the AWS SDK)');
  });

  t.test(`${file}: a valid ${service} configuration, its ports, secrets from Secrets Manager`, async (t) => {
    if (image === null) {
      t.fail('not our image');
      return;
    }
    const env: Record<string, string> = { ...image.env };
    for (const e of arr(c.environment ?? [], 'environment').map((x) => obj(x, 'environment'))) env[String(e.name)] = String(e.value);
    for (const s of arr(c.secrets ?? [], 'secrets').map((x) => obj(x, 'secret'))) {
      const name = String(s.name);
      t.match(String(s.valueFrom), /^arn:aws:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:/, `${name} from Secrets Manager or SSM`);
      t.ok(SECRET_STAND_INS[name], `${name} has a stand-in in this test`);
      t.notOk(name in env, `${name} is not also a plain environment value`);
      env[name] = SECRET_STAND_INS[name] ?? '';
    }
    const config = assertConfig(t, env, service, file);
    if (config === null) return;
    const ports = arr(c.portMappings ?? [], 'portMappings').map((p) => obj(p, 'portMapping'));
    const own = service === 'engine' ? [config.port, config.internalPort] : [config.internalPort];
    t.same(ports.map((p) => p.containerPort).sort(), own.sort(), `ports ${own.join(', ')}`);
    for (const p of ports) t.ok(p.hostPort === undefined || p.hostPort === p.containerPort, 'awsvpc: host port = container port');
    if (service === 'engine') {
      t.ok(config.engineWorkers <= Math.max(1, Math.floor(Number(def.cpu) / 1024)), `ENGINE_WORKERS ${config.engineWorkers} within ${String(def.cpu)} CPU units`);
    }
    t.ok(Number(c.stopTimeout) > config.shutdownTimeoutMs / 1000, `stopTimeout ${String(c.stopTimeout)} s outlasts the drain (${config.shutdownTimeoutMs} ms)`);
    t.ok(Number(c.stopTimeout) <= 120, 'within Fargate\'s 120 s');
  });

  t.test(`${file}: the health check asks /healthz on the internal port`, async (t) => {
    if (image === null) {
      t.fail('not our image');
      return;
    }
    const hc = obj(c.healthCheck, 'healthCheck');
    const command = arr(hc.command, 'command').map(String);
    const argv = command[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', command[1]!] : command.slice(1);
    t.equal(command[0] === 'CMD' || command[0] === 'CMD-SHELL', true, `${command[0]} form`);
    await assertHealthcheck(t, argv, image.env);
    t.equal(c.user, `${image.uid}:${image.gid}`, `runs as the image's user ${image.uid}:${image.gid}`);
    t.equal(c.readonlyRootFilesystem, true, 'read-only root (with Redis and S3 nothing writes a file)');
  });
}
