/**
 * The two message formats: a Slack incoming-webhook message (Block Kit `blocks` plus a `text`
 * fallback for notifications) and the generic JSON webhook body, whose shape is documented in
 * docs/observability.md and versioned (`version: 1`): fields are only ever added.
 */
import type { AlertNotification } from './alert.js';

/** "90 s", "5 min", "1 h", "3 d" (the largest unit that divides evenly enough to read). */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size) {
      const n = ms / size;
      return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
    }
  }
  return `${Math.round(ms)} ms`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const rate = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The generic JSON webhook body (version 1). */
export function webhookBody(n: AlertNotification): Record<string, unknown> {
  return {
    version: 1,
    source: 'switchyard',
    status: n.status,
    key: n.key,
    kind: n.kind,
    severity: n.severity,
    title: n.title,
    subject: n.subject,
    summary: n.summary,
    resolvedSummary: n.status === 'resolved' ? (n.resolvedSummary ?? 'The condition has cleared.') : null,
    route: n.route ?? null,
    target: n.target ?? null,
    gatewayKey: n.gatewayKey ?? null,
    errorClass: n.errorClass ?? null,
    failoverTarget: n.failoverTarget ?? null,
    since: iso(n.since),
    resolvedAt: n.resolvedAt !== undefined ? iso(n.resolvedAt) : null,
    occurrences: n.occurrences,
    suppressedChanges: n.suppressedChanges,
    slo: n.slo ?? null,
    statusPageUrl: n.statusPageUrl,
  };
}

/** Slack's limits: a header's text ≤ 150 characters, a field's ≤ 2000, a section's ≤ 3000. */
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Slack's mrkdwn needs &, < and > escaped in text that is not a link or a mention. */
const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A date Slack shows in the reader's time zone, with the UTC time as the fallback. */
const slackDate = (ms: number): string =>
  `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso(ms)}>`;

function resolvedText(n: AlertNotification, lasted: string): string {
  return `Resolved${lasted}: ${n.resolvedSummary ?? 'the condition has cleared.'} It was: ${n.summary}`;
}

export function slackMessage(n: AlertNotification): Record<string, unknown> {
  const firing = n.status === 'firing';
  const icon = firing ? (n.severity === 'page' ? ':rotating_light:' : ':warning:') : ':white_check_mark:';
  const label = firing ? `[FIRING · ${n.severity}]` : '[RESOLVED]';
  const title = `${label} ${n.title}`;
  const lasted = n.resolvedAt !== undefined ? ` (lasted ${formatDuration(n.resolvedAt - n.since)})` : '';
  const field = (name: string, value: string): Record<string, string> => ({
    type: 'mrkdwn',
    text: cut(`*${name}*\n${value}`, 2000),
  });
  const fields = [
    field('What broke', escape(n.subject)),
    field('Severity', n.severity),
    field('Since', slackDate(n.since)),
    ...(n.resolvedAt !== undefined ? [field('Resolved', `${slackDate(n.resolvedAt)}${lasted}`)] : []),
    field('Error class', escape(n.errorClass ?? 'n/a')),
    field('Failover target', escape(n.failoverTarget ?? 'none')),
    ...(n.route !== undefined && !n.subject.includes(`route ${n.route}`)
      ? [field('Route', escape(n.route))]
      : []),
    ...(n.target !== undefined && n.target !== n.subject ? [field('Target', escape(n.target))] : []),
    ...(n.gatewayKey !== undefined ? [field('Key', escape(n.gatewayKey))] : []),
  ].slice(0, 10);
  const notes: string[] = [];
  if (n.occurrences > 1) notes.push(`seen ${n.occurrences} times`);
  if (n.suppressedChanges > 0)
    notes.push(`${n.suppressedChanges} changes held back by the rate limit (flapping)`);
  if (n.slo)
    notes.push(
      `burn rate ${rate(n.slo.longBurnRate)}× over ${formatDuration(n.slo.longWindowMs)}, ` +
        `${rate(n.slo.shortBurnRate)}× over ${formatDuration(n.slo.shortWindowMs)} (threshold ${n.slo.factor}×)`,
    );
  const summary = escape(firing ? n.summary : resolvedText(n, lasted));
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(`${firing ? '🔴' : '✅'} ${title}`, 150), emoji: true },
    },
    { type: 'section', text: { type: 'mrkdwn', text: cut(summary, 3000) } },
    { type: 'section', fields },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: cut(
            [`<${n.statusPageUrl}|Status page>`, `alert \`${escape(n.key)}\``, ...notes.map(escape)].join(
              ' · ',
            ),
            3000,
          ),
        },
      ],
    },
  ];
  const text =
    `${icon} ${title}: ${firing ? n.summary : resolvedText(n, lasted)}` +
    (n.errorClass ? ` Error: ${n.errorClass}.` : '') +
    (n.failoverTarget ? ` Failover: ${n.failoverTarget}.` : '') +
    ` Since ${iso(n.since)}. Status: ${n.statusPageUrl}`;
  return { text: cut(text, 3000), blocks };
}
