/**
 * `switchyard keys`: the admin API of virtual keys (docs/keys.md) from the command line, against a
 * running gateway. The secret of a created or rotated key is printed once, on its own line, and never
 * again.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';

export const KEYS_USAGE = `Usage: switchyard keys <create|list|get|update|revoke|rotate> [options]
  create --name NAME [scopes]     a new key; prints its secret once
  list                            every key (no secrets)
  get ID                          one key, with its usage in the current windows
  update ID [scopes]              change scopes, limits, metadata, expiry
  revoke ID                       refuse the key from now on (every instance within keyStore.refreshMs)
  rotate ID [--grace SECONDS]     a new secret; the old one works SECONDS more (default 3600)
Scopes:
  --models a,b        models (routes) the key may use (default: all)
  --rpm N  --tpm N    requests and tokens per minute
  --daily-usd X  --monthly-usd X   the key's budget (routing.cap)
  --tier-floor N  --region R       routing scopes
  --no-debug          may not ask for the debug trace header
  --expires ISO       expiry (ISO 8601; "never" clears it)
  --meta k=v          metadata (repeatable)
Connection:
  --url URL           the gateway (default $SWITCHYARD_URL or http://127.0.0.1:4000)
  --admin-key KEY     an admin key (default $SWITCHYARD_ADMIN_KEY)
  --json              print the API's JSON`;

export interface KeysIO {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: KeysIO = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function keysCommand(argv: string[], io: KeysIO = PROCESS_IO): Promise<void> {
  process.exitCode = await runKeys(argv, io);
}

const OPTIONS = {
  url: { type: 'string' },
  'admin-key': { type: 'string' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  models: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'daily-usd': { type: 'string' },
  'monthly-usd': { type: 'string' },
  'tier-floor': { type: 'string' },
  region: { type: 'string' },
  'no-debug': { type: 'boolean' },
  expires: { type: 'string' },
  meta: { type: 'string', multiple: true },
  grace: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function number(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag}: expected a positive number, got "${v}"`);
  return n;
}

/** The scope fields of a create or update body, from the flags given. */
export function scopeBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (v.models !== undefined)
    body.models = v.models
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
  const rpm = number(v.rpm, 'rpm');
  const tpm = number(v.tpm, 'tpm');
  if (rpm !== undefined || tpm !== undefined)
    body.limits = { ...(rpm ? { rpm } : {}), ...(tpm ? { tpm } : {}) };
  const dailyUsd = number(v['daily-usd'], 'daily-usd');
  const monthlyUsd = number(v['monthly-usd'], 'monthly-usd');
  const tierFloor = number(v['tier-floor'], 'tier-floor');
  if (
    dailyUsd !== undefined ||
    monthlyUsd !== undefined ||
    tierFloor !== undefined ||
    v.region !== undefined
  ) {
    body.routing = {
      ...(dailyUsd !== undefined || monthlyUsd !== undefined
        ? { cap: { ...(dailyUsd ? { dailyUsd } : {}), ...(monthlyUsd ? { monthlyUsd } : {}) } }
        : {}),
      ...(tierFloor !== undefined ? { tierFloor } : {}),
      ...(v.region !== undefined ? { region: v.region } : {}),
    };
  }
  if (v['no-debug']) body.debug = false;
  if (v.expires !== undefined) body.expiresAt = v.expires === 'never' ? null : v.expires;
  if (v.meta) {
    const metadata: Record<string, string> = {};
    for (const pair of v.meta) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new UsageError(`--meta: expected key=value, got "${pair}"`);
      metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    body.metadata = metadata;
  }
  return body;
}

export async function runKeys(argv: string[], io: KeysIO): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true }));
  } catch (error) {
    io.err(`switchyard keys: ${(error as Error).message}\n\n${KEYS_USAGE}\n`);
    return 2;
  }
  const [action, id] = positionals;
  const url = (values.url ?? io.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const adminKey = values['admin-key'] ?? io.env.SWITCHYARD_ADMIN_KEY;
  let call: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown };
  try {
    const needId = (): string => {
      if (!id || !/^key_[0-9a-f]{16}$/.test(id)) throw new UsageError(`${action}: give the key's id (key_…)`);
      return id;
    };
    switch (action) {
      case 'create':
        if (!values.name) throw new UsageError('create: --name is required');
        call = { method: 'POST', path: '', body: { name: values.name, ...scopeBody(values) } };
        break;
      case 'list':
        call = { method: 'GET', path: '' };
        break;
      case 'get':
        call = { method: 'GET', path: `/${needId()}` };
        break;
      case 'update':
        call = { method: 'PATCH', path: `/${needId()}`, body: scopeBody(values) };
        break;
      case 'revoke':
        call = { method: 'DELETE', path: `/${needId()}` };
        break;
      case 'rotate': {
        const grace = values.grace === undefined ? undefined : Number(values.grace);
        if (grace !== undefined && !(Number.isInteger(grace) && grace >= 0))
          throw new UsageError(`--grace: expected whole seconds, got "${values.grace}"`);
        call = {
          method: 'POST',
          path: `/${needId()}/rotate`,
          body: grace === undefined ? {} : { graceSeconds: grace },
        };
        break;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'give an action');
    }
    if (!adminKey) throw new UsageError('an admin key is needed: --admin-key or SWITCHYARD_ADMIN_KEY');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`switchyard keys: ${error.message}\n\n${KEYS_USAGE}\n`);
    return 2;
  }
  let status: number;
  let text: string;
  try {
    const res = await request(`${url}/v1/switchyard/keys${call.path}`, {
      method: call.method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    io.err(`switchyard keys: cannot reach ${url}: ${(error as Error).message}\n`);
    return 1;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    io.err(`switchyard keys: ${url} answered ${status} with a body that is not JSON\n`);
    return 1;
  }
  if (status >= 400) {
    const error = (body.error ?? {}) as { message?: string };
    io.err(`switchyard keys: ${status}: ${error.message ?? text}\n`);
    return 1;
  }
  io.out(values.json ? `${JSON.stringify(body, null, 2)}\n` : describe(body));
  return 0;
}

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  status: string;
  models: string[] | null;
  limits: { rpm?: number; tpm?: number } | null;
  routing: { cap?: { dailyUsd?: number; monthlyUsd?: number } } | null;
  expiresAt: string | null;
  secret?: string;
}

function line(k: KeyView): string {
  const limits = [
    k.limits?.rpm ? `rpm ${k.limits.rpm}` : '',
    k.limits?.tpm ? `tpm ${k.limits.tpm}` : '',
    k.routing?.cap?.dailyUsd ? `$${k.routing.cap.dailyUsd}/day` : '',
    k.routing?.cap?.monthlyUsd ? `$${k.routing.cap.monthlyUsd}/month` : '',
  ].filter(Boolean);
  return [
    k.id,
    k.name,
    `${k.prefix}…`,
    k.status,
    k.models ? `models ${k.models.join(',')}` : 'all models',
    limits.length ? limits.join(' ') : 'no limits',
    k.expiresAt ? `expires ${k.expiresAt}` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

function describe(body: Record<string, unknown>): string {
  if (Array.isArray(body.data)) {
    const keys = body.data as KeyView[];
    return keys.length ? `${keys.map(line).join('\n')}\n` : 'no virtual keys\n';
  }
  const k = body as unknown as KeyView;
  const secret = k.secret ? `\nsecret (shown once, store it now):\n${k.secret}\n` : '';
  return `${line(k)}\n${secret}`;
}
