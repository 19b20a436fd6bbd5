// The Grafana dashboard and its provisioning: the JSON parses, every panel queries the provisioned
// Prometheus data source by its uid and has targets, every target's PromQL parses (promtool, the
// real Prometheus parser, with Grafana's variables replaced), and the provisioning files point
// where deploy/compose.yaml mounts them. That the metrics the panels read exist and the queries
// evaluate on real data: prometheus-scrape.test.ts.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { DASHBOARD, DASHBOARD_PROVIDERS, DATASOURCES, dashboardPanels, dashboardQueries, promtoolParses, readDashboard, substituteVariables } from './promql.js';
import { arr, obj, yamlFile, type Obj } from './tools.js';

const datasource = () => obj(arr(obj(yamlFile(DATASOURCES)[0], DATASOURCES).datasources, 'datasources')[0], 'the data source');

t.test('the provisioned data source is the compose Prometheus, under a fixed uid', async (t) => {
  const doc = obj(yamlFile(DATASOURCES)[0], DATASOURCES);
  t.equal(doc.apiVersion, 1);
  t.equal(arr(doc.datasources, 'datasources').length, 1);
  t.match(datasource(), { type: 'prometheus', uid: 'arcade-prometheus', url: 'http://prometheus:9090', access: 'proxy', isDefault: true });
});

t.test('the dashboard provider loads the folder compose mounts at /var/lib/grafana/dashboards', async (t) => {
  const doc = obj(yamlFile(DASHBOARD_PROVIDERS)[0], DASHBOARD_PROVIDERS);
  t.equal(doc.apiVersion, 1);
  const provider = obj(arr(doc.providers, 'providers')[0], 'the provider');
  t.match(provider, { type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  const compose = obj(yamlFile('deploy/compose.yaml')[0], 'deploy/compose.yaml');
  const grafana = obj(obj(compose.services, 'services').grafana, 'the grafana service');
  const mounts = arr(grafana.volumes ?? [], 'grafana volumes').map(String);
  t.ok(mounts.some((m) => /^\.\/grafana\/dashboards:\/var\/lib\/grafana\/dashboards(:ro)?$/.test(m)), `dashboards mounted (${mounts.join(', ')})`);
  t.ok(mounts.some((m) => /^\.\/grafana\/provisioning:\/etc\/grafana\/provisioning(:ro)?$/.test(m)), `provisioning mounted (${mounts.join(', ')})`);
});

t.test('the dashboard: valid JSON, a stable uid, panels laid out without overlap', async (t) => {
  const d = readDashboard();
  t.match(d, { uid: 'arcade-edge', title: 'arcade-edge', schemaVersion: Number, editable: false });
  t.ok((d.schemaVersion as number) >= 36, 'a schema with data sources referenced by uid');
  const panels = dashboardPanels(d);
  const ids = panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const cells = new Map<string, string>();
  for (const p of panels) {
    const g = obj(p.gridPos, `gridPos of ${String(p.title)}`) as { x: number; y: number; w: number; h: number };
    t.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${String(p.title)}: within the 24-column grid`);
    for (let y = g.y; y < g.y + g.h; y++) {
      for (let x = g.x; x < g.x + g.w; x++) {
        const other = cells.get(`${x},${y}`);
        if (other !== undefined) t.fail(`${String(p.title)} overlaps ${other} at ${x},${y}`);
        cells.set(`${x},${y}`, String(p.title));
      }
    }
  }
  t.ok(panels.filter((p) => p.type !== 'row').length >= 20, `${panels.length} panels and rows`);
  t.doesNotThrow(() => JSON.parse(readFileSync(packagePath(DASHBOARD), 'utf8')), `${DASHBOARD} is JSON`);
});

t.test('every panel queries the provisioned data source and has targets with PromQL', async (t) => {
  const uid = String(datasource().uid);
  const d = readDashboard();
  for (const v of arr(obj(d.templating, 'templating').list, 'variables')) {
    const variable = obj(v, 'a variable');
    if (variable.type === 'query') t.match(variable.datasource, { type: 'prometheus', uid }, `variable ${String(variable.name)}: data source by uid`);
  }
  for (const panel of dashboardPanels(d)) {
    if (panel.type === 'row') continue;
    const title = String(panel.title);
    t.match(panel.datasource, { type: 'prometheus', uid }, `${title}: data source ${uid}`);
    t.ok(typeof panel.description === 'string' && panel.description.length > 0, `${title}: a description saying what it shows`);
    const targets = (panel.targets ?? []) as Obj[];
    t.ok(targets.length > 0, `${title}: has targets`);
    const refIds = targets.map((target) => target.refId);
    t.equal(new Set(refIds).size, refIds.length, `${title}: refIds unique`);
    for (const target of targets) {
      if (target.datasource !== undefined) t.match(target.datasource, { uid }, `${title} ${String(target.refId)}: data source ${uid}`);
      t.ok(typeof target.expr === 'string' && target.expr.trim() !== '', `${title} ${String(target.refId)}: an expr`);
    }
  }
});

t.test("every panel's PromQL parses (promtool check rules, Grafana's variables replaced)", async (t) => {
  const queries = dashboardQueries();
  t.ok(queries.length >= 30, `${queries.length} queries`);
  for (const q of queries) t.notMatch(q.expr, /\$/, `${q.panel} ${q.refId}: no Grafana variable left unreplaced`);
  const r = promtoolParses(queries.map((q) => ({ name: `${q.panel} ${q.refId}`, expr: q.expr })));
  t.equal(r.status, 0, `promtool parses every query\n${r.output}`);
  t.match(r.output, `SUCCESS: ${queries.length} rules found`);
  // The check has teeth: a query that does not parse fails it.
  t.not(promtoolParses([{ name: 'broken', expr: substituteVariables('sum by (route (rate(x[$__rate_interval]))') }]).status, 0, 'a broken query is refused');
});
