/**
 * `switchyard drill --scenario NAME|all [--rps N] [--duration S] [--first-token-ms N] [--hedge-ms N]
 * [--continue] [--out DIR] [--quiet]`: scripted
 * incidents against simulated providers under steady load (runner.ts), measured from the client's
 * side (report.ts), plotted (plot.ts) and written up in docs/DRILL.md (doc.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_VARIANT,
  describeVariant,
  type DrillAlertSinks,
  type DrillObserver,
  type DrillVariant,
} from './config.js';
import { drillMarkdown, summaryTable, type Machine, type SavedReport } from './doc.js';
import { timelineSvg } from './plot.js';
import { buildReport, type ScenarioReport } from './report.js';
import { runScenario } from './runner.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './scenarios.js';

export const DRILL_USAGE = `Usage: switchyard drill --scenario NAME|all [options]
  --scenario NAME  ${SCENARIO_NAMES.join(', ')}, or all
  --rps N          client requests per second (default 20)
  --duration S     seconds of load per scenario (default: the scenario's own, 45-60 s);
                   the incident's timeline is rescaled to it
  --first-token-ms N  the gateway's first-token timeout (default 800); above 2000 the slow-call
                   threshold gets the 2 s default floor and the scenarios with a slow primary are
                   held to issue 11's targets; the files are named NAME-ftN
  --hedge-ms N     hedge after N ms with the caps raised (hedge ratio and retry budget 1), so every
                   slow request is hedged; files NAME[-ftN]-hedgeN
  --continue       the route continues streams cut after their first token (route option
                   \`continuation\`); files NAME[…]-continue
  --out DIR        where NAME.json and NAME.svg go (default docs/drill); DRILL.md goes next to DIR
  --slack-webhook URL  send the gateway's alerts (breaker opened and closed, …) to this Slack
                   incoming webhook (or any receiver of Slack's message format)
  --webhook URL    send them to this URL as generic JSON (docs/observability.md)
  --quiet          print only the summary table`;

export interface DrillOptions {
  scenarios: ScenarioName[];
  rps: number;
  durationS?: number;
  variant: DrillVariant;
  outDir: string;
  quiet: boolean;
  /** Webhooks for the gateway's alerts during the run. */
  alerts?: DrillAlertSinks;
  /** Watches the gateway during each run (programmatic only: tests). */
  observe?: DrillObserver;
  /** Changes the raw gateway config before it is validated (programmatic only: tests). */
  tune?: (raw: Record<string, unknown>) => void;
  /** The command line, recorded in the reports. */
  command: string;
}

function usageError(message: string): Error {
  return Object.assign(new Error(`${message}\n\n${DRILL_USAGE}`), { code: 'ERR_PARSE_ARGS_DRILL' });
}

function positiveNumber(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(`--${name}: expected a positive number, got "${value}"`);
  return n;
}

export function parseDrillArgs(argv: string[]): DrillOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      rps: { type: 'string' },
      duration: { type: 'string' },
      'first-token-ms': { type: 'string' },
      'hedge-ms': { type: 'string' },
      continue: { type: 'boolean' },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      'slack-webhook': { type: 'string' },
      webhook: { type: 'string' },
    },
  });
  const name = values.scenario;
  if (!name) throw usageError('--scenario: give a scenario name or "all"');
  if (name !== 'all' && !isScenarioName(name)) throw usageError(`--scenario: unknown scenario "${name}"`);
  const durationS = positiveNumber(values.duration, 'duration');
  const firstTokenMs = positiveNumber(
    values['first-token-ms'],
    'first-token-ms',
    DEFAULT_VARIANT.firstTokenMs,
  )!;
  const hedgeDelayMs = positiveNumber(values['hedge-ms'], 'hedge-ms');
  const alerts: DrillAlertSinks = {};
  for (const [flag, key] of [
    ['slack-webhook', 'slackWebhook'],
    ['webhook', 'webhook'],
  ] as const) {
    const url = values[flag];
    if (url === undefined) continue;
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw usageError(`--${flag}: expected an http(s) URL`);
    alerts[key] = url;
  }
  return {
    scenarios: name === 'all' ? [...SCENARIO_NAMES] : [name],
    rps: positiveNumber(values.rps, 'rps', 20)!,
    ...(durationS !== undefined ? { durationS } : {}),
    variant: {
      firstTokenMs,
      ...(hedgeDelayMs !== undefined ? { hedgeDelayMs } : {}),
      ...(values.continue ? { continuation: true } : {}),
    },
    outDir: values.out ?? 'docs/drill',
    quiet: values.quiet ?? false,
    ...(alerts.slackWebhook || alerts.webhook ? { alerts } : {}),
    // Webhook URLs are secrets (a Slack webhook URL grants posting): the recorded command omits them.
    command: ['switchyard', 'drill', ...redactUrls(argv)].join(' '),
  };
}

function redactUrls(argv: string[]): string[] {
  return argv.map((arg, i) =>
    argv[i - 1] === '--slack-webhook' || argv[i - 1] === '--webhook'
      ? '[redacted]'
      : arg.replace(/^(--(?:slack-)?webhook=).*/, '$1[redacted]'),
  );
}

export function machine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${platform()} ${release()}`,
  };
}

/** Runs the scenarios one after the other, writing each one's JSON and SVG, then DRILL.md. */
export async function runDrill(options: DrillOptions): Promise<ScenarioReport[]> {
  const log = options.quiet ? undefined : (line: string) => console.log(line);
  mkdirSync(options.outDir, { recursive: true });
  const reports: ScenarioReport[] = [];
  for (const name of options.scenarios) {
    log?.(`drill ${name}: ${SCENARIOS[name].title} (${describeVariant(options.variant)})`);
    const run = await runScenario(SCENARIOS[name], {
      rps: options.rps,
      variant: options.variant,
      ...(options.durationS !== undefined ? { durationS: options.durationS } : {}),
      ...(options.alerts ? { alerts: options.alerts } : {}),
      ...(options.observe ? { observe: options.observe } : {}),
      ...(options.tune ? { tune: options.tune } : {}),
      ...(log ? { log } : {}),
    });
    const report = buildReport(run);
    const saved: SavedReport = { ...report, command: options.command, machine: machine() };
    writeFileSync(join(options.outDir, `${report.id}.json`), `${JSON.stringify(saved, null, 1)}\n`);
    writeFileSync(join(options.outDir, `${report.id}.svg`), timelineSvg(report));
    for (const c of report.checks)
      log?.(`  ${c.met ? 'met   ' : 'MISSED'} ${c.target}: ${c.actual}${c.met ? '' : ` (${c.miss})`}`);
    reports.push(report);
  }
  const docDir = dirname(options.outDir);
  writeFileSync(join(docDir, 'DRILL.md'), drillMarkdown(options.outDir, docDir));
  return reports;
}

export async function drillCommand(argv: string[]): Promise<void> {
  const options = parseDrillArgs(argv);
  const reports = await runDrill(options);
  console.log(`\n${summaryTable(reports)}\n`);
  if (!options.quiet)
    console.log(
      `Plots and reports in ${options.outDir}/; write-up in ${join(dirname(options.outDir), 'DRILL.md')}`,
    );
}
