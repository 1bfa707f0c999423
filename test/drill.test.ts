/**
 * Issue 5 (chaos drill): `switchyard drill` end to end on a compressed timeline. The outage scenario
 * at 12 s instead of 50 s (the breaker's time constants shrink with it): real simulators, the real
 * gateway and the built-in client over loopback, then the reports, the plot and DRILL.md on disk.
 * Loose bounds only: the measured numbers are the drill's job (docs/DRILL.md), not this test's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDrillArgs, runDrill } from '../src/drill/index.js';
import type { SavedReport } from '../src/drill/doc.js';

/** Tags balance and every `&` starts an entity: enough to know a browser will render the SVG. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop(), `</${name}> closes the open tag`).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(xml).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+);)/);
}

describe('switchyard drill', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-drill-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an outage of the primary is detected, absorbed by the fallback, and written up with a plot', async () => {
    const outDir = join(dir, 'drill');
    const [report] = await runDrill({
      ...parseDrillArgs(['--scenario', 'outage', '--duration', '12', '--out', outDir, '--quiet']),
    });
    expect(report).toBeDefined();
    const r = report!;
    expect(r.requests).toBe(240);
    // Before the fault, every request is streamed by the primary, and its trace says so.
    const healthy = r.seconds[1]!;
    expect(healthy.byTarget['primary/gpt-drill']).toBeGreaterThan(15);
    expect(healthy.triedPrimary).toBe(healthy.byTarget['primary/gpt-drill']);
    // The 503s fail over to the fallback: the client sees none of them.
    expect(r.successRate).toBeGreaterThanOrEqual(0.99);
    // The breaker trips and traffic leaves the primary well within the incident (2.4 s to 6 s).
    expect(r.breakerTrips).toBeGreaterThanOrEqual(1);
    expect(r.detection).toBeDefined();
    expect(r.detection!.seconds).toBeLessThan(2);
    expect(r.upstream.fallback).toBeGreaterThan(0);
    // No retry storm: each client request costs about one upstream request.
    expect(r.amplification).toBeLessThan(1.2);
    // After the incident the primary serves again.
    expect(r.recovery.firstReturnMs).toBeGreaterThan(6_000);
    expect(r.checks.map((c) => c.id)).toEqual([
      'success',
      'detection',
      'ttft-after-detection',
      'amplification',
      'gradual-return',
    ]);

    const saved = JSON.parse(readFileSync(join(outDir, 'outage.json'), 'utf8')) as SavedReport;
    expect(saved.command).toContain('--scenario outage');
    expect(saved.samples.length).toBeGreaterThan(20);

    const svg = readFileSync(join(outDir, 'outage.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    assertWellFormedXml(svg);

    const doc = readFileSync(join(dir, 'DRILL.md'), 'utf8');
    expect(doc).toContain('## outage: Hard outage of the primary');
    expect(doc).toContain('![outage](drill/outage.svg)');
    expect(doc).toMatch(/\| outage \| \d+\.\d\d % \|/);
  }, 60_000);

  it('rejects unknown scenarios and bad numbers with the usage', () => {
    expect(() => parseDrillArgs(['--scenario', 'meteor'])).toThrow(/unknown scenario "meteor"[\s\S]*Usage/);
    expect(() => parseDrillArgs(['--scenario', 'outage', '--rps', '0'])).toThrow(
      /--rps: expected a positive/,
    );
    expect(() => parseDrillArgs([])).toThrow(/--scenario/);
    expect(parseDrillArgs(['--scenario', 'all']).scenarios).toHaveLength(7);
    expect(
      parseDrillArgs(['--scenario', 'hang', '--first-token-ms', '3000', '--hedge-ms', '800']),
    ).toMatchObject({ scenarios: ['hang'], variant: { firstTokenMs: 3_000, hedgeDelayMs: 800 } });
    expect(() => parseDrillArgs(['--scenario', 'hang', '--hedge-ms', 'soon'])).toThrow(/--hedge-ms/);
  });
});
