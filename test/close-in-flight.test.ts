/**
 * The gateway's own shutdown is never the provider's fault: `gateway.close()` with requests still
 * waiting on the upstream destroys its connections to the provider, and those attempts must not count
 * against the target's breaker (with Redis, an opened breaker would take the target out of every
 * instance during a rolling deploy). Real sockets: a simulated provider that answers slowly.
 */
import { request } from 'undici';
import { afterAll, expect, it } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness | undefined;
afterAll(async () => {
  await h?.primary.close();
  await h?.backup.close();
});

it('closing with attempts in flight opens no breaker and counts nothing against the provider', async () => {
  h = await startHarness({
    config: { breakers: { consecutiveFailures: 3 } },
    routes: { m: { targets: ['primary/model-a'] } },
  });
  h.primary.setBehavior('model-a', { latencyMs: 2_000 });
  const ended: GatewayEvents['attempt.ended'][] = [];
  const transitions: GatewayEvents['breaker.transition'][] = [];
  h.gateway.events.subscribe('attempt.ended', (e) => ended.push(e));
  h.gateway.events.subscribe('breaker.transition', (e) => transitions.push(e));
  const inFlight = Array.from({ length: 10 }, () =>
    request(`${h!.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: userMessage() }),
    }).then(
      (res) => res.body.dump(),
      () => undefined, // the client's connection is closed by the gateway: expected
    ),
  );
  await expect.poll(() => h!.primary.stats('model-a').inFlight).toBe(10);
  await h.gateway.close();
  await Promise.all(inFlight);
  expect(ended.length).toBe(10);
  expect(ended.filter((e) => e.countsAgainstBreaker)).toEqual([]);
  expect(transitions).toEqual([]);
});
