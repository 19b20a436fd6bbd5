// The metrics, alerts and dashboard against the real thing: a production stack (redis-server,
// s3rver, a feed server, two syncers and an engine with two server processes, started from source)
// serves real traffic, including a vote counted through the stream; a real Prometheus (Debian
// package `prometheus`) scrapes both internal ports every second and evaluates the real
// deploy/prometheus/alerts.yml. Proves: `promtool check metrics` accepts both /metrics outputs;
// every metric an alert or a dashboard panel reads is exposed; the series arrive in Prometheus;
// every rule group loads and evaluates with health "ok"; every alert and panel expression
// evaluates through the query API; and the healthy stack fires no alert.

import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { freePort } from '../../bench/lib/free-port.js';
import { packagePath } from '../../core/runtime/package-root.js';
import type { TestClient } from '../helpers/http.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { adId, startEngineProc, startStack, startSyncer } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { ALERTS, SYNTHETIC_NAMES, alertGroups, alertRules, dashboardQueries, exposedNames, metricNames, promtool, readDashboard } from './promql.js';
import { arr, obj, requireTool, run } from './tools.js';
import { scratchDir } from '../helpers/scratch-dir.js';

type Sample = { metric: Record<string, string>; value: [number, string] };

interface Prometheus {
  url: string;
  logs(): string;
}

/** A real Prometheus on a free loopback port, storage in the test's scratch folder, killed at teardown. */
async function startPrometheus(t: Test, http: TestClient, targets: { engine: string[]; syncer: string[] }): Promise<Prometheus> {
  const binary = requireTool('prometheus', 'prometheus');
  const dir = scratchDir(t);
  const port = await freePort();
  // JSON is YAML: the config needs no YAML writer. 1 s scrapes and evaluations keep the test short.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [packagePath(ALERTS)],
    scrape_configs: [
      { job_name: 'engine', static_configs: [{ targets: targets.engine }] },
      { job_name: 'syncer', static_configs: [{ targets: targets.syncer }] },
    ],
  };
  await writeFile(join(dir, 'prometheus.json'), JSON.stringify(config, null, 2));
  const child = spawn(
    binary,
    [`--config.file=${join(dir, 'prometheus.json')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr.on('data', (c: Buffer) => (logs += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${logs}`);
      return (await http.get(`${url}/-/ready`).catch(() => ({ status: 0 }))).status;
    },
    (status) => status === 200,
    30_000,
    'prometheus ready',
  );
  return { url, logs: () => logs };
}

t.test('a real Prometheus scrapes a running engine and two syncers and evaluates the alert rules', async (t) => {
  promtool(); // both tools up front: a missing one fails here, naming the package
  requireTool('prometheus', 'prometheus');
  const stack = await startStack(t, feedOf('ad-1', 'ad-2'));
  const http = stack.http;
  const syncers = [await startSyncer(t, stack), await startSyncer(t, stack)];
  // Two server processes: /metrics is then the main process merged with both, as in production.
  const engine = await startEngineProc(t, stack, { API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}`, ENGINE_WORKERS: '2' });
  await eventually(() => adId(http, engine), (id) => id.startsWith('ad-'), 10_000, 'the published ads served');

  // Traffic: ads (200), a request without a key (401), one with a bad country (400), and a vote,
  // which goes through the stream to a syncer's vote processor and back to the engine as counted.
  const ADS = 20;
  const served: string[] = [];
  for (let i = 0; i < ADS; i++) served.push(await adId(http, engine));
  t.same(served.filter((id) => id !== 'ad-1' && id !== 'ad-2'), [], `${ADS} ad requests answered with an ad`);
  t.equal((await http.get(`${engine.base}/ad_request?country=us&lang=eng`)).status, 401);
  t.equal((await http.get(`${engine.base}/ad_request?country=usa&lang=eng`, { 'x-api-key': GAME_KEY })).status, 400);
  const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
  const topic = await http.send('POST', `${engine.base}/topics`, JSON.stringify({ title: 'Best map', is_active: true, choices: [{ description: 'Dust' }, { description: 'Nuke' }] }), json(ADMIN_KEY));
  t.equal(topic.status, 201, 'topic created');
  const { id: topicId, choices } = topic.body as { id: number; choices: { id: number }[] };
  const vote = await http.send('POST', `${engine.base}/votes`, JSON.stringify({ topic_id: topicId, choice_id: choices[0]!.id }), json(GAME_KEY));
  t.equal(vote.status, 202, 'vote accepted');
  const voteId = (vote.body as { id: string }).id;
  await eventually(() => http.get(`${engine.base}/votes/${voteId}?api_key=${GAME_KEY}`), (r) => r.status === 200, 15_000, 'the vote counted');

  const scrape = async (base: string) => {
    const r = await http.get(`${base}/metrics`);
    t.equal(r.status, 200, `${base}/metrics answers`);
    return r.text;
  };
  const texts = { engine: await scrape(engine.internal), syncer: await scrape(syncers[0]!.internal), standby: await scrape(syncers[1]!.internal) };

  await t.test('promtool check metrics accepts the engine and both syncers', async (t) => {
    for (const [what, text] of Object.entries(texts)) {
      const r = run(promtool(), ['check', 'metrics'], { input: text });
      t.equal(r.status, 0, `${what}: promtool check metrics exits 0`);
      t.equal(r.stdout + r.stderr, '', `${what}: no lint problem`);
    }
    // It does lint: a gauge named like a counter is reported.
    const bad = run(promtool(), ['check', 'metrics'], { input: '# HELP x_total A gauge.\n# TYPE x_total gauge\nx_total 1\n' });
    t.not(bad.status, 0, 'a lint problem exits non-zero');
  });

  await t.test('every metric an alert or a dashboard panel reads is exposed by the engine or the syncer', async (t) => {
    const exposed = new Set([...exposedNames(texts.engine), ...exposedNames(texts.syncer), ...SYNTHETIC_NAMES]);
    const uses: [string, string][] = [];
    for (const rule of alertRules()) for (const name of metricNames(rule.expr)) uses.push([`alert ${rule.alert}`, name]);
    for (const q of dashboardQueries()) for (const name of metricNames(q.expr)) uses.push([`panel ${q.panel} ${q.refId}`, name]);
    for (const v of arr(obj(readDashboard().templating, 'templating').list, 'variables')) {
      const definition = String(obj(v, 'a variable').definition ?? '');
      const m = /^label_values\((\w+),/.exec(definition);
      if (m) uses.push([`variable ${definition}`, m[1]!]);
    }
    t.ok(uses.length > 60, `${uses.length} metric uses found`);
    t.ok(
      uses.some(([, n]) => n === 'engine_http_request_duration_seconds_bucket') && uses.some(([, n]) => n === 'syncer_leader'),
      'the extraction finds histogram buckets and plain names',
    );
    t.same(
      uses.filter(([, name]) => !exposed.has(name)).map(([where, name]) => `${where}: ${name}`),
      [],
      'no alert or panel reads a metric nobody exposes',
    );
  });

  const prometheus = await startPrometheus(t, http, {
    engine: [engine.internal.replace('http://', '')],
    syncer: syncers.map((s) => s.internal.replace('http://', '')),
  });
  const query = async (expr: string): Promise<{ status: string; error?: string; data?: { result: Sample[] } }> =>
    (await http.get(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).body as { status: string; data?: { result: Sample[] } };
  const values = async (expr: string): Promise<number[]> => {
    const r = await query(expr);
    if (r.status !== 'success') throw new Error(`${expr}: ${r.error}\n${prometheus.logs()}`);
    return r.data!.result.map((s) => Number(s.value[1]));
  };

  await t.test('Prometheus scrapes the engine and both syncers', async (t) => {
    await eventually(() => values('up{job="engine"} == 1'), (v) => v.length === 1, 20_000, 'up{job="engine"} == 1');
    await eventually(() => values('up{job="syncer"} == 1'), (v) => v.length === 2, 20_000, 'up{job="syncer"} == 1 for both');
    t.pass('up == 1 for 1 engine and 2 syncers');
  });

  await t.test('the series arrive', async (t) => {
    const expectations: [string, (v: number[]) => boolean, string][] = [
      ['engine_ready', (v) => v.length === 1 && v[0] === 1, 'engine_ready is 1'],
      ['engine_workers', (v) => v[0] === 2, 'engine_workers is 2'],
      ['sum(syncer_leader)', (v) => v[0] === 1, 'one syncer leads'],
      ['count(syncer_leader)', (v) => v[0] === 2, 'two syncers report syncer_leader'],
      ['engine_http_requests_total{route="ad_request",status="200"}', (v) => v[0]! >= ADS, `at least the ${ADS} ad requests made`],
      ['engine_http_requests_total{route="ad_request",status="401"}', (v) => v[0]! >= 1, 'the 401'],
      ['engine_http_requests_total{route="ad_request",status="400"}', (v) => v[0]! >= 1, 'the 400'],
      ['engine_http_request_duration_seconds_count{route="ad_request",status="200"}', (v) => v[0]! >= ADS, 'ad_request handler times'],
      ['count(engine_http_request_duration_seconds_bucket{route="ad_request",status="200"})', (v) => v[0]! >= 10, 'every bucket'],
      ['engine_http_requests_total{route="votes",status="202"}', (v) => v[0]! >= 1, 'the vote accepted'],
      ['sum(syncer_votes_counted_total)', (v) => v[0]! >= 1, 'the vote counted'],
      ['sum(syncer_feed_syncs_total{outcome="published"})', (v) => v[0]! >= 1, 'the feed published'],
      ['max(syncer_last_success_timestamp_seconds)', (v) => v[0]! > 0, 'a last success time'],
      ['engine_events_applied_total', (v) => v[0]! >= 2, 'the topic and the vote count applied'],
      ['engine_last_event_timestamp_seconds', (v) => v[0]! > 0, 'a last event time'],
      ['engine_event_log_up', (v) => v[0] === 1, 'the event log readable'],
      ['engine_event_log_replayed', (v) => v[0] === 1, 'the event log replayed'],
      ['engine_snapshot_age_seconds', (v) => v.length === 1, 'the snapshot age'],
      ['count by (job) (process_resident_memory_bytes)', (v) => v.length === 2 && v.includes(1) && v.includes(2), 'process metrics of the engine and of both syncers'],
    ];
    for (const [expr, ok, what] of expectations) {
      const v = await eventually(() => values(expr), ok, 10_000, what);
      t.ok(ok(v), `${what}: ${expr} = ${v.join(', ')}`);
    }
  });

  await t.test('every rule group of alerts.yml loads and evaluates with health "ok"', async (t) => {
    type Rule = { name: string; type: string; health: string; lastError?: string; lastEvaluation: string };
    type Group = { name: string; file: string; rules: Rule[] };
    const groups = async () => ((await http.get(`${prometheus.url}/api/v1/rules`)).body as { data: { groups: Group[] } }).data.groups;
    const evaluated = (gs: Group[]) => gs.length > 0 && gs.every((g) => g.rules.every((r) => r.health !== 'unknown' && !r.lastEvaluation.startsWith('0001')));
    const loaded = await eventually(groups, evaluated, 15_000, 'every rule evaluated once');
    const expected = alertGroups();
    t.same(loaded.map((g) => g.name).sort(), expected.map((g) => g.name).sort(), 'the three groups');
    for (const group of expected) {
      const got = loaded.find((g) => g.name === group.name)!;
      t.equal(got.file, packagePath(ALERTS));
      t.same(got.rules.map((r) => r.name), group.rules.map((r) => r.alert), `${group.name}: every alert`);
      for (const rule of got.rules) {
        t.equal(rule.type, 'alerting', `${rule.name}: an alerting rule`);
        t.equal(rule.health, 'ok', `${rule.name}: health ok${rule.lastError ? ` (${rule.lastError})` : ''}`);
      }
    }
  });

  await t.test('every alert and panel expression evaluates through the query API', async (t) => {
    const exprs = [...alertRules().map((r) => [`alert ${r.alert}`, r.expr]), ...dashboardQueries().map((q) => [`panel ${q.panel} ${q.refId}`, q.expr])];
    for (const [what, expr] of exprs) {
      const r = await query(expr!);
      t.equal(r.status, 'success', `${what}${r.error ? `: ${r.error}` : ''}`);
    }
    // And the panels show data where the stack has some.
    for (const expr of ['time() - max(syncer_last_success_timestamp_seconds)', 'sum(syncer_leader)']) {
      t.equal((await values(expr)).length, 1, `${expr} has a value`);
    }
  });

  await t.test('the healthy stack fires no alert', async (t) => {
    type Alert = { labels: { alertname: string }; state: string };
    const alerts = ((await http.get(`${prometheus.url}/api/v1/alerts`)).body as { data: { alerts: Alert[] } }).data.alerts;
    t.same(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname), [], `none firing (pending: ${alerts.map((a) => a.labels.alertname).join(', ') || 'none'})`);
  });
});
