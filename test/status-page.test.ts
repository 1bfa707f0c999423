/**
 * Issue 13, part 6: the status page in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; `.ci/run` installs it). During a simulated outage the page shows the primary's open
 * breaker and the failover to the backup (checked in the DOM and in a screenshot); with gateway keys
 * the page asks for one and shows only what the key may see.
 *
 * STATUS_PAGE_SCREENSHOT=path writes the outage screenshot there too (docs/status-page.png was made so).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import { BACKUP_KEY, PRIMARY_KEY, raw, startHarness, userMessage, type Harness } from './harness.js';

const EVIL_ROUTE = '<img src=x id=evil onerror="window.pwned=1">';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-status-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh context (own sessionStorage) whose every request and CSP complaint is recorded. */
async function openPage(
  origin: string,
): Promise<{ page: Page; context: BrowserContext; offsite: string[]; csp: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const offsite: string[] = [];
  const csp: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) offsite.push(r.url());
  });
  page.on('console', (m) => {
    if (/content security policy/i.test(m.text())) csp.push(m.text());
  });
  return { page, context, offsite, csp };
}

/** PNG width and height from its IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('status page during an outage (open gateway)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: { breakers: { consecutiveFailures: 3, openBaseMs: 120_000, openMaxMs: 120_000 } },
      routes: {
        m: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } },
        [EVIL_ROUTE]: { targets: ['backup/model-b'] },
      },
    });
  });
  afterAll(() => h?.close());

  const ask = async (stream: boolean) => {
    if (!stream) return h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    const s = await h.client.chat.completions.create({ model: 'm', messages: userMessage(), stream: true });
    for await (const _ of s);
  };

  it('shows the open breaker and the failover, live, with nothing fetched elsewhere', async () => {
    for (let i = 0; i < 4; i++) await ask(i % 2 === 0);
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 6; i++) await ask(i % 2 === 0);
    expect(h.gateway.engine.health.status([h.gateway.config.routes.get('m')!.targets[0]!])[0]!.state).toBe(
      'open',
    );

    const { page, context, offsite, csp } = await openPage(h.gateway.url);
    await page.goto(`${h.gateway.url}/status`);
    const route = page.locator('section[data-route="m"]');
    const primary = route.locator('tr[data-target="primary/model-a"]');
    await route.locator('tr[data-target="primary/model-a"][data-state="open"]').waitFor();
    await expect(primary.locator('.badge').textContent()).resolves.toBe('open');
    await expect(route.locator('tr[data-target="backup/model-b"]').getAttribute('data-state')).resolves.toBe(
      'closed',
    );
    // 3 requests failed over before the breaker opened; the next 3 went to the backup directly.
    const failovers = await page.locator('#failovers li').allTextContents();
    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatch(/m: primary\/model-a → backup\/model-b \(upstream_503\) ×3 since/);
    const incidents = await page.locator('#incidents li').allTextContents();
    expect(incidents.some((t) => t.includes('primary/model-a: breaker closed → open (consecutive)'))).toBe(
      true,
    );
    // Traffic share: the backup answered 6 of 10 requests.
    await expect(route.locator('tr[data-target="backup/model-b"] td').nth(6).textContent()).resolves.toBe(
      '60.0 %',
    );
    // Two charts per route, drawn.
    expect(await route.locator('svg').count()).toBe(2);
    expect(await route.locator('svg path').count()).toBeGreaterThan(0);
    expect(await route.locator('svg rect').count()).toBeGreaterThan(0);

    // Live: new traffic shows up without a reload.
    const requests = route.locator('.kpi b').first();
    await expect(requests.textContent()).resolves.toBe('10');
    for (let i = 0; i < 3; i++) await ask(false);
    await route.locator('.kpi b').first().filter({ hasText: /^13$/ }).waitFor();

    // Names are data, never markup.
    const evil = page
      .locator('section.route')
      .filter({ has: page.getByRole('heading', { name: EVIL_ROUTE }) });
    await expect(evil.count()).resolves.toBe(1);
    await expect(page.locator('#evil').count()).resolves.toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();

    const png = await page.screenshot({ fullPage: true, path: join(dir, 'outage.png') });
    const size = pngSize(png);
    expect(size.width).toBe(1280);
    expect(size.height).toBeGreaterThan(600);
    expect(png.length).toBeGreaterThan(20_000);
    // The picture shows the states apart: the open badge is not drawn like the closed one.
    const openBadge = await primary.locator('.badge').screenshot();
    const closedBadge = await route.locator('tr[data-target="backup/model-b"] .badge').screenshot();
    pngSize(openBadge);
    expect(openBadge.equals(closedBadge)).toBe(false);
    const docs = process.env.STATUS_PAGE_SCREENSHOT;
    if (docs) await writeFile(docs, await page.screenshot({ fullPage: true }));

    expect(offsite).toEqual([]);
    expect(csp).toEqual([]);
    await context.close();
  }, 60_000);

  it('serves the page with a strict policy and the data uncached', async () => {
    const page = await raw(`${h.gateway.url}/status`, { method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[\w+/=]+'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/unsafe/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.text).not.toMatch(/primary\/model-a/); // the shell carries no data
    const data = await raw(`${h.gateway.url}/status.json`, { method: 'GET' });
    expect(data.status).toBe(200);
    expect(data.headers['cache-control']).toBe('no-store');
    expect(data.json()).toMatchObject({
      object: 'switchyard.live_status',
      windowMs: 900_000,
      bucketMs: 10_000,
    });
    for (const secret of [PRIMARY_KEY, BACKUP_KEY]) expect(data.text).not.toContain(secret);
  });
});

describe('status page on a gateway with keys', () => {
  const OPS = 'sk-gw-ops-000000001';
  const TEAM = 'sk-gw-team-00000002';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      apiKey: OPS,
      config: {
        keys: [
          { name: 'ops', key: OPS },
          { name: 'team', key: TEAM, models: ['solo'] },
        ],
      },
    });
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
  });
  afterAll(() => h?.close());

  it('asks for a key, refuses a wrong one, then shows the data; a scoped key sees only its routes', async () => {
    expect((await raw(`${h.gateway.url}/status.json`, { method: 'GET' })).status).toBe(401);
    const asOps = await raw(`${h.gateway.url}/status.json`, {
      method: 'GET',
      headers: { authorization: `Bearer ${OPS}` },
    });
    expect(asOps.status).toBe(200);
    expect(asOps.json()).toMatchObject({ key: 'ops' });
    for (const secret of [OPS, TEAM, PRIMARY_KEY, BACKUP_KEY]) expect(asOps.text).not.toContain(secret);
    const { page, context, offsite, csp } = await openPage(h.gateway.url);
    await page.goto(`${h.gateway.url}/status`);
    await page.locator('#auth').waitFor({ state: 'visible' });
    expect(await page.locator('section.route').count()).toBe(0);

    await page.fill('#key-input', 'sk-not-a-key-at-all');
    await page.click('#key-form button');
    await page.locator('#auth-msg', { hasText: 'Incorrect API key' }).waitFor();
    expect(await page.locator('#auth').isVisible()).toBe(true);

    await page.fill('#key-input', OPS);
    await page.click('#key-form button');
    await page.locator('section[data-route="m"] tr[data-target="primary/model-a"]').waitFor();
    expect(
      await page.locator('section.route').evaluateAll((s) => s.map((e) => e.getAttribute('data-route'))),
    ).toEqual(['m', 'solo']);
    expect(await page.locator('#auth').isVisible()).toBe(false);
    await expect(page.locator('#updated').textContent()).resolves.toMatch(/key ops$/);
    // The key stays for the tab: a reload goes straight to the data.
    await page.reload();
    await page.locator('section[data-route="m"]').waitFor();
    await context.close();
    expect(offsite).toEqual([]);
    expect(csp).toEqual([]);

    const scoped = await openPage(h.gateway.url);
    await scoped.page.goto(`${h.gateway.url}/status`);
    await scoped.page.fill('#key-input', TEAM);
    await scoped.page.click('#key-form button');
    await scoped.page.locator('section[data-route="solo"]').waitFor();
    expect(await scoped.page.locator('section.route').count()).toBe(1);
    await scoped.context.close();
  }, 60_000);
});

describe('status settings', () => {
  it('status.public opens the data without a key; status.enabled: false removes both paths', async () => {
    const open = await startHarness({
      config: { keys: [{ name: 'ops', key: 'sk-gw-ops-000000001' }], status: { public: true } },
    });
    try {
      const res = await raw(`${open.gateway.url}/status.json`, { method: 'GET' });
      expect(res.status).toBe(200);
      expect((res.json() as { routes: unknown[] }).routes).toHaveLength(2);
    } finally {
      await open.close();
    }
    const off = await startHarness({ config: { status: { enabled: false } } });
    try {
      expect(off.gateway.liveStats).toBeUndefined();
      expect((await raw(`${off.gateway.url}/status`, { method: 'GET' })).status).toBe(404);
      expect((await raw(`${off.gateway.url}/status.json`, { method: 'GET' })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
