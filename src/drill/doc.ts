/**
 * docs/DRILL.md, generated from the scenario reports saved next to their plots (NAME.json), so
 * running one scenario again refreshes its section and keeps the others. Every number comes from a
 * report; nothing is written by hand.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeVariant, DEFAULT_VARIANT } from './config.js';
import { pct } from './metrics.js';
import { summaryRow, SUMMARY_HEADERS, type ScenarioReport, type SummaryRow } from './report.js';
import { SCENARIO_NAMES } from './scenarios.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
}

export interface SavedReport extends ScenarioReport {
  command: string;
  machine: Machine;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function summaryTable(reports: readonly ScenarioReport[]): string {
  const keys = Object.keys(SUMMARY_HEADERS) as (keyof SummaryRow)[];
  return markdownTable(
    keys.map((k) => SUMMARY_HEADERS[k]),
    reports.map((r) => {
      const row = summaryRow(r);
      return keys.map((k) => row[k]);
    }),
  );
}

/** A healthy fallback slower than this in calibration means the machine was busy (profile: 200-350 ms). */
const NOISY_FALLBACK_P50_MS = 400;

const ms = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x)} ms`);

function scenarioSection(r: SavedReport, svgPath: string): string {
  const variant = r.variant ?? DEFAULT_VARIANT;
  const rows: string[][] = [
    ['gateway', describeVariant(variant)],
    ['requests (client)', `${r.requests} over ${r.durationS} s at ${r.rps} rps`],
    ['client-visible success', `${pct(r.successRate, 2)}`],
    ['TTFT p50 / p95 / p99', `${ms(r.ttft.p50)} / ${ms(r.ttft.p95)} / ${ms(r.ttft.p99)}`],
    [
      'TTFT p99 after detection (to fault end)',
      r.ttftAfterDetection
        ? `${ms(r.ttftAfterDetection.p99)} over ${r.ttftAfterDetection.count} requests`
        : 'n/a',
    ],
    [
      'healthy fallback alone, p50 / p99',
      `${ms(r.fallbackBaseline.p50)} / ${ms(r.fallbackBaseline.p99)} (${r.fallbackBaseline.count} requests)`,
    ],
    [
      'upstream requests (primary + fallback)',
      `${r.upstream.primary} + ${r.upstream.fallback} → amplification ${r.amplification.toFixed(3)}`,
    ],
    [
      'amplification in the fault window (attempts per request sent during it)',
      r.faultAmplification !== undefined ? r.faultAmplification.toFixed(3) : 'n/a',
    ],
    ['longest wait for a first token, requests sent during the fault', ms(r.longestWaitMs)],
    [
      'time to detect',
      r.detection
        ? `${r.detection.requests} requests, ${r.detection.seconds.toFixed(2)} s after the fault began`
        : 'traffic never left the primary',
    ],
    [
      'time to recover',
      r.recovery.seconds !== undefined
        ? `${r.recovery.seconds.toFixed(1)} s after the fault ended (first answer from the primary after ${((r.recovery.firstReturnMs ?? 0) / 1_000 - r.fault.toS).toFixed(1)} s)`
        : r.recovery.verdict,
    ],
    ['return of traffic', r.recovery.verdict],
    [
      'primary share per second during the return',
      r.recovery.sharePerSecond.map((s) => `${Math.round(s * 100)}`).join(' → ') + ' %',
    ],
    ['breaker trips (sampled every 200 ms)', `${r.breakerTrips}`],
    ['client send lag (max)', ms(r.maxClientLagMs)],
  ];
  const failures = Object.entries(r.failures).sort((a, b) => b[1] - a[1]);
  const parts = [
    `## ${r.id ?? r.name}: ${r.title}`,
    '',
    r.description,
    '',
    `Run ${r.startedAt} with \`${r.command}\`.`,
    '',
    markdownTable(['metric', 'value'], rows),
    '',
  ];
  if (failures.length) {
    parts.push('Client-visible failures:', '', ...failures.map(([why, n]) => `- ${n} × ${why}`), '');
  }
  if (r.checks.length) {
    parts.push(
      markdownTable(
        ['target', 'measured', 'verdict'],
        r.checks.map((c) => [c.target, c.actual, c.met ? 'met' : `**missed**: ${c.miss ?? ''}`]),
      ),
      '',
    );
  } else {
    parts.push('The issue sets no target for this scenario; the numbers are reported as measured.', '');
  }
  parts.push(`![${r.name}](${svgPath})`, '');
  return parts.join('\n');
}

const INTRO = `# Chaos drills

\`switchyard drill --scenario NAME\` starts two simulated providers on loopback (\`primary\` and
\`fallback\`, the same model), the gateway in front of them with one route (primary, then fallback), and
a built-in client sending a steady open-loop load of streaming chat requests. It first measures the
healthy fallback alone for 3 s, then scripts an incident on the primary and measures what the client
sees. Scenarios: ${SCENARIO_NAMES.map((n) => `\`${n}\``).join(', ')}; \`--scenario all\` runs each.
Options: \`--rps\` (default 20), \`--duration\` seconds (default: the scenario's; the incident's timeline
and the breaker's time constants are rescaled to it), \`--first-token-ms N\` (the gateway's first-token
timeout, default 800), \`--hedge-ms N\` (hedge after N ms with the caps raised), \`--continue\` (the route
continues streams cut after their first token: route option \`continuation\`), \`--out DIR\` (default
\`docs/drill\`), \`--quiet\`, \`--slack-webhook URL\` and \`--webhook URL\` (send the gateway's alerts, in
Slack's message format or as generic JSON, to a receiver during the run). Each run writes \`DIR/ID.json\`
and \`DIR/ID.svg\`, where ID is the scenario's
name with the variant's suffix (\`slow-ttft-ft3000-hedge800\`: \`--first-token-ms 3000 --hedge-ms 800\`);
this file is regenerated from the JSON files.

## Definitions

- **Success**: status 200, at least one content delta, no error event, and \`data: [DONE]\` at the end.
  A stream cut after its first token (an error event and no \`[DONE]\`) is a client-visible failure.
- **TTFT**: from sending the request to the first content delta, on successful requests; percentiles
  are nearest-rank. *After detection* means requests sent between detection and the end of the fault.
- **Amplification**: requests received by both simulators ÷ client requests (calibration excluded).
- **Detection**: the first send time D after the fault began such that ≥ 95 % of the requests sent in
  [D, D + 1 s) made no upstream attempt on the primary (read from \`x-switchyard-trace\`). Requests to
  detect: requests sent between the fault and D that still attempted the primary. The target is met
  with ≤ 5 requests *or* ≤ 2 s.
- **Amplification in the fault window**: upstream attempts (\`x-switchyard-attempts\`) per request,
  over the requests sent during the fault (issue 11's measure).
- **Longest wait**: the longest time to first token (or, without one, duration) of a request sent
  during the fault.
- **Issue 11's targets** (\`slow-ttft\` and \`hang\` with a first-token timeout above 2 s, e.g.
  \`--first-token-ms 3000\`, slow-call floor 2 s): detection within 2.5 s of the fault, amplification in
  the fault window ≤ 1.17, and no request waiting longer than the time to detect (plus the healthy
  fallback's p99 TTFT, which a request moved to the fallback still spends there).
- **Recovery**: the first send time R after the fault ended such that ≥ 95 % of the requests sent in
  [R, R + 1 s) were served by the primary. **Gradual**: the primary's share in the first second after
  its first answer is ≤ 50 %, and it takes at least half the slow-start window to reach R.

## Gateway configuration

One configuration for every scenario (\`src/drill/config.ts\`): an operator does not know which
incident comes next.

- \`retry.maxRetriesPerTarget: 0\`: with a healthy fallback one hop away, failing over at once beats
  retrying a provider that just failed (a \`retry-after: 2\` would be 2 s of dead air for the client).
- \`timeouts.firstTokenMs: 800\`: the primary's first token normally takes 150-300 ms; a request stuck on
  a slow primary fails over after 0.8 s. The slow-call threshold is 2 × p95 TTFT between 800 ms and 1 s.
  Streams still waiting past it count as slow at once (in-flight age), five slow or failed calls in a
  row trip the breaker, and the streams still waiting on the primary when it opens move to the fallback.
- With \`--first-token-ms 3000\` (issue 11's drill): the slow-call threshold is 2 × p95 between the 2 s
  default floor and 3 s, so a primary whose first tokens stopped coming is detected from the age of the
  requests waiting on it, about 2 s after the fault, not from its first-token timeouts.
- No hedging by default (it is opt-in per route): the first-token timeout already bounds the wait on a
  slow primary. \`--hedge-ms 800\` runs the "ask the fallback too after 800 ms" pattern with the caps
  raised (\`hedge.maxRatio: 1\`, \`retryBudget.ratio: 1\`); a race lost to a hedge is a slow call.
- Breakers sized for a one-minute drill: 10 s window, 5 consecutive failures, open 3 s × consecutive
  trips (≤ 12 s), one half-open probe (a failed or slow probe reopens at once), slow start over 10 s.
- Healthy providers: TTFT uniform in 150-300 ms (primary) and 200-350 ms (fallback), redrawn every
  25 ms from a seeded generator; 24 tokens at 50 tokens/s.
`;

/** Every saved report in `outDir`, in scenario order, each scenario's default run first. */
function savedReports(outDir: string): SavedReport[] {
  if (!existsSync(outDir)) return [];
  const reports = readdirSync(outDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')) as SavedReport)
    .filter((r) => (SCENARIO_NAMES as readonly string[]).includes(r.name));
  const order = (r: SavedReport): [number, string] => [
    SCENARIO_NAMES.indexOf(r.name as (typeof SCENARIO_NAMES)[number]),
    r.id ?? r.name,
  ];
  return reports.sort((a, b) => {
    const [ia, ida] = order(a);
    const [ib, idb] = order(b);
    return ia - ib || ida.localeCompare(idb);
  });
}

export function drillMarkdown(outDir: string, docDir: string): string {
  const reports = savedReports(outDir);
  const machine = reports[0]?.machine;
  const parts = [INTRO];
  if (machine) {
    parts.push(
      '## Machine',
      '',
      `${machine.cpus} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.platform}. ` +
        'Client, gateway and both simulators share one Node process. The machine may be shared with other ' +
        'jobs: the client send lag of each run says when the load itself was held up.',
      '',
    );
  }
  const loaded = reports.filter((r) => (r.fallbackBaseline.p50 ?? 0) > NOISY_FALLBACK_P50_MS);
  if (loaded.length) {
    parts.push(
      `Noisy runs: the healthy fallback alone answered with a p50 TTFT above ${NOISY_FALLBACK_P50_MS} ms ` +
        `(its profile is 200-350 ms), so the machine was busy with other work during ${loaded
          .map((r) => `\`${r.id ?? r.name}\` (${ms(r.fallbackBaseline.p50)})`)
          .join(', ')}; their times are inflated by that load.`,
      '',
    );
  }
  parts.push('## Summary', '', summaryTable(reports), '');
  const missed = reports.flatMap((r) =>
    r.checks.filter((c) => !c.met).map((c) => `- **${r.id ?? r.name}**: ${c.target}: ${c.miss}`),
  );
  parts.push(missed.length ? ['Targets missed:', '', ...missed, ''].join('\n') : 'Every target was met.\n');
  for (const r of reports)
    parts.push(scenarioSection(r, relative(docDir, join(outDir, `${r.id ?? r.name}.svg`))));
  return parts.join('\n');
}
