// The alert rules and the scrape config, held by the real promtool (Debian package `prometheus`):
// `promtool check rules` accepts alerts.yml, `promtool test rules` passes the unit tests in
// alerts.test.yml, and those tests show every alert both firing and silent. Every alert carries
// what an on-call engineer needs (a `for`, a severity, summary, description, and a runbook link to
// its own section of deploy/prometheus/README.md, which documents no alert that does not exist).
// `promtool check config` accepts prometheus.yml, which loads alerts.yml and scrapes the jobs the
// rules name, at hosts that are services of deploy/compose.yaml. That the metric names exist and
// the rules evaluate on real data: prometheus-scrape.test.ts.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { ALERTS, ALERT_TESTS, RUNBOOK, SCRAPE_CONFIG, alertGroups, alertRules, headingAnchor, promtool } from './promql.js';
import { arr, isObj, obj, run, yamlFile, type Obj } from './tools.js';

t.test('promtool check rules accepts alerts.yml', async (t) => {
  const r = run(promtool(), ['check', 'rules', ALERTS]);
  t.equal(r.status, 0, `promtool check rules exits 0\n${r.stdout}${r.stderr}`);
  t.match(r.stdout, `SUCCESS: ${alertRules().length} rules found`);
});

t.test('promtool test rules: the unit tests in alerts.test.yml pass', async (t) => {
  const r = run(promtool(), ['test', 'rules', ALERT_TESTS]);
  t.equal(r.status, 0, `promtool test rules exits 0\n${r.stdout}${r.stderr}`);
  t.match(r.stdout, /SUCCESS/);
});

t.test('every alert has a unit test where it fires and one where it stays silent', async (t) => {
  const doc = obj(yamlFile(ALERT_TESTS)[0], ALERT_TESTS);
  t.same(doc.rule_files, ['alerts.yml'], 'the tests load the real rule file');
  const fires = new Set<string>();
  const silent = new Set<string>();
  for (const test of arr(doc.tests, 'tests')) {
    for (const c of arr(obj(test, 'a test').alert_rule_test ?? [], 'alert_rule_test')) {
      const check = obj(c, 'an alert_rule_test');
      const expected = (check.exp_alerts ?? []) as unknown[];
      (expected.length > 0 ? fires : silent).add(String(check.alertname));
    }
  }
  const names = alertRules().map((r) => r.alert);
  t.same(names.filter((n) => !fires.has(n)), [], 'no alert without a firing case');
  t.same(names.filter((n) => !silent.has(n)), [], 'no alert without a silent case');
  t.same([...fires, ...silent].filter((n) => !names.includes(n)), [], 'no test names an alert that does not exist');
});

t.test('every alert: a for, a severity, summary, description and a runbook section', async (t) => {
  const runbook = readFileSync(packagePath(RUNBOOK), 'utf8');
  const sections = [...runbook.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim());
  const anchors = new Set(sections.map(headingAnchor));
  const rules = alertRules();
  t.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');
  for (const rule of rules) {
    t.match(rule.alert, /^Arcade[A-Z]\w+$/, `${rule.alert}: named Arcade…`);
    t.ok(rule.for !== undefined, `${rule.alert}: has a for`);
    t.ok(['critical', 'warning'].includes(rule.labels.severity ?? ''), `${rule.alert}: severity critical or warning, got ${rule.labels.severity}`);
    t.ok((rule.annotations.summary ?? '').length > 0, `${rule.alert}: summary`);
    t.ok((rule.annotations.description ?? '').length > 0, `${rule.alert}: description`);
    const anchor = headingAnchor(rule.alert);
    t.equal(rule.annotations.runbook_url, `${RUNBOOK}#${anchor}`, `${rule.alert}: runbook_url points at its README section`);
    t.ok(anchors.has(anchor), `${rule.alert}: ${RUNBOOK} has a "### ${rule.alert}" section`);
  }
  const names = new Set(rules.map((r) => r.alert));
  t.same(sections.filter((s) => !names.has(s)), [], `${RUNBOOK} documents no alert that does not exist`);
  t.same(alertGroups().map((g) => g.name), ['arcade-edge-syncer', 'arcade-edge-engine', 'arcade-edge-stream']);
});

t.test('promtool check config accepts prometheus.yml; it loads alerts.yml and scrapes engine and syncer', async (t) => {
  const r = run(promtool(), ['check', 'config', SCRAPE_CONFIG]);
  t.equal(r.status, 0, `promtool check config exits 0\n${r.stdout}${r.stderr}`);
  t.match(r.stdout, 'SUCCESS: 1 rule files found');
  const config = obj(yamlFile(SCRAPE_CONFIG)[0], SCRAPE_CONFIG);
  t.same(config.rule_files, ['alerts.yml'], 'relative: the compose file mounts the rules beside the config');
  const jobs = arr(config.scrape_configs, 'scrape_configs').map((j) => obj(j, 'a scrape config'));
  t.same(jobs.map((j) => j.job_name).sort(), ['engine', 'syncer'], 'the job names ArcadeTargetDown selects on');
  t.match(alertRules().find((a) => a.alert === 'ArcadeTargetDown')?.expr, 'up{job=~"engine|syncer"}');
});

t.test('prometheus.yml scrapes every engine and syncer service of deploy/compose.yaml, on the internal ports', async (t) => {
  const config = obj(yamlFile(SCRAPE_CONFIG)[0], SCRAPE_CONFIG);
  const compose = obj(yamlFile('deploy/compose.yaml')[0], 'deploy/compose.yaml');
  const services = obj(compose.services, 'services');
  /** The names a service answers to on the compose network: its own and its aliases. */
  const namesOf = (service: Obj): string[] =>
    Object.values(isObj(service.networks) ? service.networks : {}).flatMap((n) => (isObj(n) && Array.isArray(n.aliases) ? n.aliases.map(String) : []));
  const builtFrom = (dockerfile: string) => Object.keys(services).filter((name) => isObj(obj(services[name], name).build) && obj(obj(services[name], name).build, 'build').dockerfile === dockerfile).sort();
  const jobs = { engine: { dockerfile: 'Dockerfile.engine', port: 9464 }, syncer: { dockerfile: 'Dockerfile.syncer', port: 9465 } } as const;
  for (const job of arr(config.scrape_configs, 'scrape_configs').map((j) => obj(j, 'a scrape config'))) {
    const jobName = String(job.job_name) as keyof typeof jobs;
    const hosts: [string, number][] = [];
    for (const sc of (job.static_configs ?? []) as unknown[]) {
      for (const target of arr(obj(sc, 'static_configs').targets, 'targets')) {
        const [host, port] = String(target).split(':');
        hosts.push([host!, Number(port)]);
      }
    }
    for (const dns of (job.dns_sd_configs ?? []) as unknown[]) {
      const d = obj(dns, 'dns_sd_configs');
      for (const name of arr(d.names, 'names')) hosts.push([String(name), Number(d.port)]);
    }
    const reached = new Set<string>();
    for (const [host, port] of hosts) {
      const answering = Object.keys(services).filter((name) => name === host || namesOf(obj(services[name], name)).includes(host));
      t.ok(answering.length > 0, `job ${jobName}: ${host} is a compose service or a service's network alias`);
      for (const name of answering) reached.add(name);
      t.equal(port, jobs[jobName].port, `job ${jobName}: ${host} on the ${jobName}'s INTERNAL_PORT default`);
    }
    t.same([...reached].sort(), builtFrom(jobs[jobName].dockerfile), `job ${jobName} scrapes exactly the services built from ${jobs[jobName].dockerfile}`);
  }
  // Where the container's /etc/prometheus/<file> comes from, through folder or file mounts.
  const prometheus = obj(obj(compose.services, 'services').prometheus, 'the prometheus service');
  const mounts = arr(prometheus.volumes ?? [], 'prometheus volumes').map((v) => {
    if (isObj(v)) return { source: String(v.source), target: String(v.target) };
    const [source, target] = String(v).split(':');
    return { source: source!, target: target! };
  });
  const sourceOf = (inContainer: string): string | undefined => {
    const m = mounts.find((mount) => inContainer === mount.target || inContainer.startsWith(`${mount.target}/`));
    return m === undefined ? undefined : m.source + inContainer.slice(m.target.length);
  };
  for (const file of ['prometheus.yml', 'alerts.yml']) {
    t.equal(sourceOf(`/etc/prometheus/${file}`), `./prometheus/${file}`, `compose mounts deploy/prometheus/${file} at /etc/prometheus/${file}`);
  }
});
