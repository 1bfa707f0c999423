import { describe, expect, it } from 'vitest';
import type { AlertNotification } from './alert.js';
import { formatDuration, slackMessage, webhookBody } from './format.js';

const SINCE = Date.UTC(2026, 11, 2, 1, 4, 5);
const firing: AlertNotification = {
  key: 'breaker:primary/gpt-4o',
  status: 'firing',
  kind: 'breaker',
  severity: 'ticket',
  title: 'Circuit breaker open: primary/gpt-4o',
  subject: 'primary/gpt-4o',
  summary:
    'primary/gpt-4o stopped taking traffic (tripped by consecutive); requests go to backup/gpt-4o instead.',
  resolvedSummary: 'The breaker closed: primary/gpt-4o takes traffic again.',
  target: 'primary/gpt-4o',
  errorClass: 'upstream_503',
  failoverTarget: 'backup/gpt-4o',
  since: SINCE,
  occurrences: 1,
  suppressedChanges: 0,
  statusPageUrl: 'https://switchyard.example.com/status',
};

describe('alert formats', () => {
  it('Slack: a header, the summary, the fields, a link to the status page, and a text fallback', () => {
    expect(slackMessage(firing)).toEqual({
      text:
        ':warning: [FIRING · ticket] Circuit breaker open: primary/gpt-4o: primary/gpt-4o stopped taking traffic (tripped by consecutive); ' +
        'requests go to backup/gpt-4o instead. Error: upstream_503. Failover: backup/gpt-4o. Since 2026-12-02T01:04:05.000Z. ' +
        'Status: https://switchyard.example.com/status',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: '🔴 [FIRING · ticket] Circuit breaker open: primary/gpt-4o',
            emoji: true,
          },
        },
        { type: 'section', text: { type: 'mrkdwn', text: firing.summary } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*What broke*\nprimary/gpt-4o' },
            { type: 'mrkdwn', text: '*Severity*\nticket' },
            {
              type: 'mrkdwn',
              text: '*Since*\n<!date^1796173445^{date_short_pretty} {time_secs}|2026-12-02T01:04:05.000Z>',
            },
            { type: 'mrkdwn', text: '*Error class*\nupstream_503' },
            { type: 'mrkdwn', text: '*Failover target*\nbackup/gpt-4o' },
          ],
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: '<https://switchyard.example.com/status|Status page> · alert `breaker:primary/gpt-4o`',
            },
          ],
        },
      ],
    });
  });

  it("Slack, resolved: how long it lasted and what cleared; text is escaped and cut to Slack's limits", () => {
    const resolved = slackMessage({
      ...firing,
      status: 'resolved',
      resolvedAt: SINCE + 95_000,
      title: `<b>&${'x'.repeat(300)}`,
    });
    const blocks = resolved.blocks as {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
    }[];
    expect(blocks[0]!.text!.text).toHaveLength(150);
    expect(blocks[0]!.text!.text.startsWith('✅ [RESOLVED] <b>&x')).toBe(true); // plain_text: no escaping
    expect(blocks[1]!.text!.text).toBe(
      'Resolved (lasted 1.6 min): The breaker closed: primary/gpt-4o takes traffic again. It was: ' +
        firing.summary,
    );
    expect(blocks[2]!.fields!.map((f) => f.text)).toContain(
      '*Resolved*\n<!date^1796173540^{date_short_pretty} {time_secs}|2026-12-02T01:05:40.000Z> (lasted 1.6 min)',
    );
    const escaped = slackMessage({ ...firing, subject: 'a<b>&c' });
    expect(JSON.stringify(escaped)).toContain('*What broke*\\na&lt;b&gt;&amp;c');
  });

  it('the generic JSON webhook body (version 1)', () => {
    expect(webhookBody({ ...firing, status: 'resolved', resolvedAt: SINCE + 95_000 })).toEqual({
      version: 1,
      source: 'switchyard',
      status: 'resolved',
      key: 'breaker:primary/gpt-4o',
      kind: 'breaker',
      severity: 'ticket',
      title: 'Circuit breaker open: primary/gpt-4o',
      subject: 'primary/gpt-4o',
      summary: firing.summary,
      resolvedSummary: 'The breaker closed: primary/gpt-4o takes traffic again.',
      route: null,
      target: 'primary/gpt-4o',
      gatewayKey: null,
      errorClass: 'upstream_503',
      failoverTarget: 'backup/gpt-4o',
      since: '2026-12-02T01:04:05.000Z',
      resolvedAt: '2026-12-02T01:05:40.000Z',
      occurrences: 1,
      suppressedChanges: 0,
      slo: null,
      statusPageUrl: 'https://switchyard.example.com/status',
    });
  });

  it('durations read as people say them', () => {
    expect([450, 90_000, 3_600_000, 259_200_000, 1_500].map(formatDuration)).toEqual([
      '450 ms',
      '1.5 min',
      '1 h',
      '3 d',
      '1.5 s',
    ]);
  });
});
