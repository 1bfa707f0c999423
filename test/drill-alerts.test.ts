/**
 * Issue 13's acceptance path: `switchyard drill --scenario outage` with a webhook receiver gets a
 * Slack-format alert when the primary's breaker opens and a "resolved" one when it closes again.
 * The outage at 12 s instead of 50 s (the breaker's time constants and the alert windows shrink with it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDrillArgs, runDrill } from '../src/drill/index.js';
import { startWebhookReceiver } from './webhook-receiver.js';

interface SlackMessage {
  text: string;
  blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
}

describe('switchyard drill with alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-drill-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an outage of the primary sends a Slack alert and its resolution', async () => {
    const slack = await startWebhookReceiver('/services/T0/B0/drill-secret-path');
    const hook = await startWebhookReceiver();
    try {
      const outDir = join(dir, 'drill');
      const options = parseDrillArgs([
        '--scenario',
        'outage',
        '--duration',
        '12',
        '--out',
        outDir,
        '--quiet',
        '--slack-webhook',
        slack.url,
        '--webhook',
        hook.url,
      ]);
      expect(options.command).not.toContain('drill-secret-path');
      const [report] = await runDrill(options);
      expect(report!.breakerTrips).toBeGreaterThanOrEqual(1);

      const breaker = (slack.bodies as unknown as SlackMessage[]).filter((m) =>
        m.text.includes('Circuit breaker open: primary/gpt-drill'),
      );
      expect(breaker.map((m) => m.blocks[0]!.text!.text)).toEqual([
        '🔴 [FIRING · ticket] Circuit breaker open: primary/gpt-drill',
        '✅ [RESOLVED] Circuit breaker open: primary/gpt-drill',
      ]);
      const fields = breaker[0]!.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text);
      expect(fields).toContain('*Error class*\nupstream_503');
      expect(fields).toContain('*Failover target*\nfallback/gpt-drill');
      expect(breaker[0]!.text).toMatch(/Status: http:\/\/127\.0\.0\.1:\d+\/status$/);

      // The same alerts as generic JSON; the fallback absorbed the outage, so the SLO never burned.
      const keys = hook.bodies.map((b) => `${b.key} ${b.status}`);
      expect(keys).toContain('breaker:primary/gpt-drill firing');
      expect(keys).toContain('breaker:primary/gpt-drill resolved');
      expect(keys.filter((k) => k.startsWith('slo:'))).toEqual([]);
      expect(readFileSync(join(outDir, 'outage.json'), 'utf8')).not.toContain('drill-secret-path');
    } finally {
      await Promise.all([slack.close(), hook.close()]);
    }
  }, 60_000);

  it('rejects a webhook that is not an http(s) URL', () => {
    expect(() => parseDrillArgs(['--scenario', 'outage', '--slack-webhook', 'hooks.slack.com/x'])).toThrow(
      /--slack-webhook: expected an http\(s\) URL/,
    );
  });
});
