import { describe, expect, it } from 'vitest';
import { KeyRegistry } from './registry.js';
import { hashSecret, newSecret, visiblePrefix } from './secret.js';
import { MemoryKeyStore, type VirtualKeyRecord } from './types.js';

const T0 = Date.UTC(2026, 5, 1);

function record(secret: string, extra: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord {
  return {
    id: 'key_0000000000000001',
    name: 'svc',
    prefix: visiblePrefix(secret),
    hash: hashSecret(secret),
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

async function setup() {
  let now = T0;
  const store = new MemoryKeyStore();
  const registry = new KeyRegistry({ store, wallNow: () => now, refreshMs: 2_000 });
  await registry.refresh();
  return { store, registry, at: (ms: number) => (now = ms) };
}

describe('secrets', () => {
  it('are sk-sy- and 32 base62 characters; the prefix shows 6 of them; the hash is sha256 hex', () => {
    const s = newSecret();
    expect(s).toMatch(/^sk-sy-[A-Za-z0-9]{32}$/);
    expect(newSecret()).not.toBe(s);
    expect(visiblePrefix(s)).toBe(s.slice(0, 12));
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('KeyRegistry', () => {
  it('finds a key by its secret once the store has it (another instance wrote it), not before', async () => {
    const { store, registry } = await setup();
    const secret = newSecret();
    await store.insert(record(secret, { models: ['m'], limits: { rpm: 5 } }));
    expect(registry.lookup(secret)).toEqual({ found: false, reason: 'unknown' });
    await registry.refresh();
    const found = registry.lookup(secret);
    expect(found.found && found.key).toMatchObject({
      name: 'svc',
      id: 'key_0000000000000001',
      limits: { rpm: 5 },
    });
    expect(found.found && [...found.key.models!]).toEqual(['m']);
  });

  it('a revocation written elsewhere takes effect at the next refresh', async () => {
    const { store, registry } = await setup();
    const secret = newSecret();
    const r = record(secret);
    await store.insert(r);
    await registry.refresh();
    await store.update({ ...r, revokedAt: T0 + 1 });
    expect(registry.lookup(secret).found).toBe(true);
    await registry.refresh();
    expect(registry.lookup(secret).found).toBe(false);
  });

  it('expiry: refused from expiresAt on, with its own reason', async () => {
    const { registry, at } = await setup();
    const secret = newSecret();
    registry.apply(record(secret, { expiresAt: T0 + 1_000 }));
    expect(registry.lookup(secret).found).toBe(true);
    at(T0 + 1_000);
    expect(registry.lookup(secret)).toEqual({ found: false, reason: 'expired' });
  });

  it('rotation: the old secret works until previousUntil, the new one after', async () => {
    const { registry, at } = await setup();
    const old = newSecret();
    const fresh = newSecret();
    registry.apply(
      record(fresh, {
        previousHash: hashSecret(old),
        previousPrefix: visiblePrefix(old),
        previousUntil: T0 + 60_000,
      }),
    );
    expect(registry.lookup(old).found).toBe(true);
    expect(registry.lookup(fresh).found).toBe(true);
    at(T0 + 60_000);
    expect(registry.lookup(old).found).toBe(false);
    expect(registry.lookup(fresh).found).toBe(true);
  });

  it('store unreachable: the keys read last stay in force; the failure is counted', async () => {
    const { store, registry } = await setup();
    const secret = newSecret();
    await store.insert(record(secret));
    await registry.refresh();
    store.failing = true;
    const errors: Error[] = [];
    const r2 = new KeyRegistry({
      store,
      wallNow: () => T0,
      refreshMs: 2_000,
      onError: (e) => errors.push(e),
    });
    await r2.refresh();
    expect(errors).toHaveLength(1);
    await registry.refresh();
    expect(registry.counters.refreshFailures).toBe(1);
    expect(registry.lookup(secret).found).toBe(true);
  });
});
