// What the operator files ask of Prometheus, read the way the tests need it: the alert rules of
// deploy/prometheus/alerts.yml, the PromQL of every panel of the Grafana dashboard (with Grafana's
// variables replaced by values Prometheus accepts), the metric names an expression reads, and the
// metric names a /metrics text exposes. Parsing PromQL for real is promtool's job
// (promtoolParses); metricNames only has to find the names in expressions that already parse.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../core/runtime/package-root.js';
import { arr, obj, requireTool, run, yamlFile, type Obj } from './tools.js';

export const ALERTS = 'deploy/prometheus/alerts.yml';
export const ALERT_TESTS = 'deploy/prometheus/alerts.test.yml';
export const SCRAPE_CONFIG = 'deploy/prometheus/prometheus.yml';
export const RUNBOOK = 'deploy/prometheus/README.md';
export const DASHBOARD = 'deploy/grafana/dashboards/arcade-edge.json';
export const DATASOURCES = 'deploy/grafana/provisioning/datasources/prometheus.yml';
export const DASHBOARD_PROVIDERS = 'deploy/grafana/provisioning/dashboards/arcade-edge.yml';

/** promtool and prometheus both come with the Debian package `prometheus`. */
export const promtool = (): string => requireTool('promtool', 'prometheus');

export interface AlertRule {
  group: string;
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function alertGroups(): { name: string; rules: AlertRule[] }[] {
  const doc = obj(yamlFile(ALERTS)[0], ALERTS);
  return arr(doc.groups, `${ALERTS} groups`).map((g) => {
    const group = obj(g, 'a rule group');
    const name = String(group.name);
    const rules = arr(group.rules, `group ${name} rules`).map((r) => {
      const rule = obj(r, `a rule of ${name}`);
      return {
        group: name,
        alert: String(rule.alert),
        expr: String(rule.expr),
        ...(rule.for === undefined ? {} : { for: String(rule.for) }),
        labels: (rule.labels ?? {}) as Record<string, string>,
        annotations: (rule.annotations ?? {}) as Record<string, string>,
      };
    });
    return { name, rules };
  });
}

export const alertRules = (): AlertRule[] => alertGroups().flatMap((g) => g.rules);

export interface PanelQuery {
  panel: string;
  refId: string;
  /** As written in the dashboard. */
  raw: string;
  /** With Grafana's variables replaced, ready for Prometheus. */
  expr: string;
}

export const readDashboard = (): Obj => obj(JSON.parse(readFileSync(packagePath(DASHBOARD), 'utf8')), DASHBOARD);

/** Panels, rows' nested panels included. */
export function dashboardPanels(d: Obj = readDashboard()): Obj[] {
  const out: Obj[] = [];
  for (const p of arr(d.panels, 'panels')) {
    const panel = obj(p, 'a panel');
    out.push(panel);
    if (Array.isArray(panel.panels)) out.push(...panel.panels.map((n) => obj(n, 'a row panel')));
  }
  return out;
}

/**
 * Grafana's variables as Prometheus would see them for "all instances" and a 1m step. Every `$…`
 * the dashboard uses must be listed here, so an unknown one fails the parse instead of slipping by.
 */
const VARIABLES: Record<string, string> = { $__rate_interval: '1m', $__interval: '1m', $__range: '1h', $instance: '.*' };

export function substituteVariables(raw: string): string {
  return raw.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => VARIABLES[`$${name}`] ?? whole);
}

export function dashboardQueries(d: Obj = readDashboard()): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of dashboardPanels(d)) {
    if (panel.type === 'row') continue;
    for (const t of (panel.targets ?? []) as Obj[]) {
      const raw = String(t.expr ?? '');
      out.push({ panel: `${String(panel.title)} (id ${String(panel.id)})`, refId: String(t.refId), raw, expr: substituteVariables(raw) });
    }
  }
  return out;
}

/**
 * Runs `promtool check rules` on the expressions written as recording rules: the one PromQL parser
 * that matters is Prometheus's own. Returns promtool's result (status 0 when every one parses).
 */
export function promtoolParses(exprs: readonly { name: string; expr: string }[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'arcade-promql-'));
  try {
    const file = join(dir, 'exprs.rules.json'); // JSON is YAML, and needs no YAML writer
    const rules = exprs.map((e, i) => ({ record: `arcade_check:expr_${i}`, expr: e.expr, labels: { source: e.name } }));
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'exprs', rules }] }, null, 2));
    const r = run(promtool(), ['check', 'rules', file]);
    return { status: r.status, output: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan']);

/**
 * Metric names read by a PromQL expression (one that parses): strings, label matchers, ranges and
 * label lists taken out, what remains is functions (a name before `(`), keywords, numbers and
 * metric names.
 */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = s[m.index! - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // the unit of 5m, the exponent of 1e3
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    if (s.slice(m.index! + m[0].length).trimStart().startsWith('(')) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Names a /metrics text exposes: every `# TYPE` family, with a histogram's _bucket, _sum and _count. */
export function exposedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name! + suffix);
  }
  return names;
}

/** Series Prometheus makes itself for every target. */
export const SYNTHETIC_NAMES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/** GitHub's anchor for a Markdown heading: lower case, punctuation but `-` dropped, spaces to `-`. */
export const headingAnchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
