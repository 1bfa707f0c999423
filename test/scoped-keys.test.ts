/**
 * Issue 11: a key scoped to some models sees only what it may use. `/v1/switchyard/status` showed every
 * route and target to a key scoped to one model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

const SCOPED = 'sy-scoped-key-0001';
const ADMIN = 'sy-admin-key-0002';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      server: { port: 0 },
      keys: [
        { name: 'scoped', key: SCOPED, models: ['solo'] },
        { name: 'admin', key: ADMIN },
      ],
    },
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'] },
      solo: { targets: ['primary/model-a'] },
    },
    apiKey: SCOPED,
  });
});
afterAll(() => h.close());

interface Status {
  routes: { name: string; targets: { id: string }[] }[];
  targets: { id: string }[];
}

const status = async (key: string): Promise<Status> => {
  const res = await raw(`${h.gateway.url}/v1/switchyard/status`, {
    method: 'GET',
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.status).toBe(200);
  return res.json() as Status;
};

describe('a scoped key', () => {
  it('sees only its routes and their targets in the status', async () => {
    const scoped = await status(SCOPED);
    expect(scoped.routes.map((r) => r.name)).toEqual(['solo']);
    expect(scoped.targets.map((t) => t.id)).toEqual(['primary/model-a']);
    const admin = await status(ADMIN);
    expect(admin.routes.map((r) => r.name)).toEqual(['m', 'solo']);
    expect(admin.targets.map((t) => t.id).sort()).toEqual(['backup/model-b', 'primary/model-a']);
  });

  it('sees in the debug trace only targets of the route it may use, and no trace of a route it may not', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 500 } });
    try {
      const trace = { 'x-switchyard-debug': 'trace' };
      const failed = await raw(`${h.gateway.url}/v1/chat/completions`, {
        headers: { ...trace, authorization: `Bearer ${SCOPED}` },
        body: JSON.stringify({ model: 'solo', messages: userMessage() }),
      });
      expect(failed.status).toBeGreaterThanOrEqual(500);
      const named = String(failed.headers['x-switchyard-trace'])
        .split('; ')
        .map((e) => e.split(' ')[0]);
      expect(named.length).toBeGreaterThan(0);
      expect(new Set(named)).toEqual(new Set(['primary/model-a']));
      expect(failed.text).not.toContain('backup');
      const refused = await raw(`${h.gateway.url}/v1/chat/completions`, {
        headers: { ...trace, authorization: `Bearer ${SCOPED}` },
        body: JSON.stringify({ model: 'm', messages: userMessage() }),
      });
      expect(refused.status).toBe(403);
      expect(refused.headers['x-switchyard-trace']).toBeUndefined();
      expect(refused.headers['x-switchyard-target']).toBeUndefined();
      expect(refused.text).not.toMatch(/primary|backup/);
    } finally {
      h.primary.setBehavior('model-a', { fault: null });
    }
  });
});
