/**
 * Issue 13's acceptance path: during `switchyard drill --scenario outage`, every place an operator
 * looks shows the outage, the failover and the recovery:
 *   - the webhook receiver gets a Slack-format alert when the primary's breaker opens and a
 *     "resolved" one when it closes again (and the same as generic JSON);
 *   - /metrics counts the breaker's trip and close, and the failovers to the fallback;
 *   - the request store's aggregates (a time series per target) show the primary's 503s during the
 *     outage, the fallback answering, and the primary answering again afterwards;
 *   - the status page, in a real headless Chromium, shows the primary's breaker not closed during the
 *     outage, then closed, with the incident and the failover listed.
 * The outage at 12 s instead of 60 s (the breaker's time constants and the alert windows shrink with it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_MODEL, FALLBACK_TARGET, PRIMARY_TARGET } from '../src/drill/config.js';
import { parseDrillArgs, runDrill } from '../src/drill/index.js';
import type { Gateway } from '../src/main.js';
import type { StatsGroup } from '../src/store/types.js';
import { launchChromium } from './chromium.js';
import { startWebhookReceiver } from './webhook-receiver.js';

interface SlackMessage {
  text: string;
  blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
}

/** The value of each sample of `metric` whose labels include every one of `labels`, summed. */
function sampleSum(exposition: string, metric: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const braces = line.slice(metric.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => braces.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const text = async (url: string): Promise<string> => (await request(url)).body.text();

describe('switchyard drill --scenario outage, watched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-drill-watched-'));
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts, metrics, the request store and the status page all show the outage, the failover and the recovery', async () => {
    const slack = await startWebhookReceiver('/services/T0/B0/drill-secret-path');
    const hook = await startWebhookReceiver();
    let page: Page | undefined;
    /** Checks made during the outage, awaited when the load is over. */
    let duringOutage: Promise<{ state: string | null; screenshot: Buffer }> | undefined;
    let metrics = '';
    let byTarget: StatsGroup[] = [];
    let byRoute: StatsGroup[] = [];
    let after: { state: string | null; incidents: string[]; failovers: string[] } | undefined;
    let outage = { fromMs: 0, toMs: 0 };
    const t0 = { wall: 0 };
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
      const row = `section[data-route="${DRILL_MODEL}"] tr[data-target="${PRIMARY_TARGET}"]`;
      options.tune = (raw) => {
        raw.store = { path: join(dir, 'requests.db'), batch: { flushIntervalMs: 200 } };
      };
      options.observe = {
        started(gateway: Gateway, windows) {
          t0.wall = Date.now();
          const w = windows[0]!;
          outage = { fromMs: w.fromS * 1000, toMs: w.toS * 1000 };
          // Open the page as the outage starts; it must show the primary's breaker leave `closed`.
          duringOutage = (async () => {
            await new Promise((r) => setTimeout(r, outage.fromMs));
            page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
            await page.goto(`${gateway.url}/status`);
            await page.locator(`${row}:not([data-state="closed"])`).waitFor({ timeout: 8_000 });
            const state = await page.locator(row).getAttribute('data-state');
            return { state, screenshot: await page.screenshot() };
          })();
          duringOutage.catch(() => undefined); // awaited (and its failure reported) in finished()
        },
        async finished(gateway: Gateway) {
          metrics = await text(`${gateway.url}/metrics`);
          expect(await gateway.store!.flush()).toBe(true);
          const since = t0.wall - 1_000;
          const stats = async (q: string): Promise<StatsGroup[]> =>
            (
              JSON.parse(
                await text(`${gateway.url}/v1/switchyard/stats?since=${since}&${q}&route=${DRILL_MODEL}`),
              ) as { data: StatsGroup[] }
            ).data;
          byTarget = await stats('by=target&bucket=1s');
          byRoute = await stats('by=route');
          // The page polls every 2 s: it shows the recovery without a reload.
          await duringOutage;
          await page!.locator(`${row}[data-state="closed"]`).waitFor({ timeout: 8_000 });
          after = {
            state: await page!.locator(row).getAttribute('data-state'),
            incidents: await page!.locator('#incidents li').allTextContents(),
            failovers: await page!.locator('#failovers li').allTextContents(),
          };
        },
      };
      const [report] = await runDrill(options);
      expect(report!.breakerTrips).toBeGreaterThanOrEqual(1);

      // 1. Alerts: a Slack message when the breaker opened, and its resolution.
      const breaker = (slack.bodies as unknown as SlackMessage[]).filter((m) =>
        m.text.includes(`Circuit breaker open: ${PRIMARY_TARGET}`),
      );
      expect(breaker.map((m) => m.blocks[0]!.text!.text)).toEqual([
        `🔴 [FIRING · ticket] Circuit breaker open: ${PRIMARY_TARGET}`,
        `✅ [RESOLVED] Circuit breaker open: ${PRIMARY_TARGET}`,
      ]);
      const fields = breaker[0]!.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text);
      expect(fields).toContain('*Error class*\nupstream_503');
      expect(fields).toContain(`*Failover target*\n${FALLBACK_TARGET}`);
      expect(breaker[0]!.text).toMatch(/Status: http:\/\/127\.0\.0\.1:\d+\/status$/);
      // The same alerts as generic JSON; the fallback absorbed the outage, so the SLO never burned.
      const keys = hook.bodies.map((b) => `${String(b.key)} ${String(b.status)}`);
      expect(keys).toContain(`breaker:${PRIMARY_TARGET} firing`);
      expect(keys).toContain(`breaker:${PRIMARY_TARGET} resolved`);
      expect(keys.filter((k) => k.startsWith('slo:'))).toEqual([]);
      expect(readFileSync(join(outDir, 'outage.json'), 'utf8')).not.toContain('drill-secret-path');

      // 2. Metrics: the trip, the failovers, the recovery.
      const transitions = (to: string): number =>
        sampleSum(metrics, 'switchyard_breaker_transitions_total', { target: PRIMARY_TARGET, to });
      expect(transitions('open')).toBeGreaterThanOrEqual(1);
      expect(transitions('closed')).toBeGreaterThanOrEqual(1);
      expect(
        sampleSum(metrics, 'switchyard_failovers_total', { from: PRIMARY_TARGET, to: FALLBACK_TARGET }),
      ).toBeGreaterThan(0);
      expect(
        sampleSum(metrics, 'switchyard_attempts_total', { target: PRIMARY_TARGET, reason: 'upstream_503' }),
      ).toBeGreaterThan(0);
      expect(
        sampleSum(metrics, 'switchyard_breaker_state', { target: PRIMARY_TARGET, state: 'closed' }),
      ).toBe(1);

      // 3. The request store: the primary's 503s in the outage, the fallback answering, the primary back.
      const startOf = (g: StatsGroup): number => Date.parse(g.start!) - t0.wall;
      const primary = byTarget.filter((g) => g.group === PRIMARY_TARGET);
      const failing = primary.filter((g) => (g.errorsByClass.upstream_503 ?? 0) > 0);
      expect(failing.length).toBeGreaterThan(0);
      for (const g of failing) {
        expect(startOf(g)).toBeGreaterThanOrEqual(outage.fromMs - 1_000);
        expect(startOf(g)).toBeLessThan(outage.toMs + 1_000);
      }
      const fallbackDuring = byTarget.filter(
        (g) => g.group === FALLBACK_TARGET && startOf(g) >= outage.fromMs && startOf(g) < outage.toMs,
      );
      expect(fallbackDuring.reduce((n, g) => n + g.ok, 0)).toBeGreaterThan(0);
      const recovered = primary.filter((g) => startOf(g) >= outage.toMs + 1_000 && g.ok > 0);
      expect(recovered.length).toBeGreaterThan(0);
      expect(recovered.every((g) => g.errors === 0)).toBe(true);
      const route = byRoute.find((g) => g.group === DRILL_MODEL)!;
      expect(route.fallbacks).toBeGreaterThan(0);
      expect(route.successRate).toBeGreaterThanOrEqual(0.99);

      // 4. The status page: not closed during the outage (a real picture of it), closed after, with
      // the incident and the failover listed.
      const seen = await duringOutage!;
      expect(['open', 'half-open']).toContain(seen.state);
      expect(seen.screenshot.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(seen.screenshot.length).toBeGreaterThan(20_000);
      expect(after!.state).toBe('closed');
      expect(after!.incidents.some((i) => i.includes(PRIMARY_TARGET) && /closed → open/.test(i))).toBe(true);
      expect(after!.failovers.some((f) => f.includes(`${PRIMARY_TARGET} → ${FALLBACK_TARGET}`))).toBe(true);
    } finally {
      await page?.close();
      await Promise.all([slack.close(), hook.close()]);
    }
  }, 90_000);

  it('rejects a webhook that is not an http(s) URL', () => {
    expect(() => parseDrillArgs(['--scenario', 'outage', '--slack-webhook', 'hooks.slack.com/x'])).toThrow(
      /--slack-webhook: expected an http\(s\) URL/,
    );
  });
});
