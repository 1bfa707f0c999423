/**
 * Config loading: YAML text → `${ENV}` interpolation → schema → cross-references → the resolved config.
 * Precedence: schema defaults < file < SWITCHYARD_* environment < command-line flags.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ProtocolOptions, ProviderSettings } from '../providers/types.js';
import { resolveAlerts, resolveSlos } from '../alerts/settings.js';
import { AZURE_DEFAULT_API_VERSION, PROVIDER_PRESETS, type ProviderPreset } from './presets.js';
import { configSchema, type ConfigFile } from './schema.js';
import { resolveKeyPool } from './key-pools.js';
import type { GatewayKey, ResolvedConfig, Route, Target } from './types.js';
import { resolveSpeculative } from './speculative.js';
import { routingProblems } from '../routing/validate.js';
import { resolveKeysAdmin } from '../keys/schema.js';
import { ConfigError } from './config-error.js';

export { ConfigError };

export interface LoadOptions {
  /** Variables for `${NAME}` and `${NAME:-default}`; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Command-line overrides, which win over everything. */
  overrides?: { host?: string; port?: number };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

export function loadConfigFile(path: string, options: LoadOptions = {}): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: ${(error as Error).message}`]);
  }
  return loadConfigText(text, options);
}

export function loadConfigText(text: string, options: LoadOptions = {}): ResolvedConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  return resolveConfig(raw, options);
}

export function resolveConfig(raw: unknown, options: LoadOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const interpolated = interpolate(raw, env, '', problems);
  applyEnvironment(interpolated, env, problems);
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError([...problems, ...parsed.error.issues.map(formatIssue)]);
  if (problems.length) throw new ConfigError(problems);
  return resolve(parsed.data, options, problems);
}

function interpolate(
  value: unknown,
  env: LoadOptions['env'] & object,
  path: string,
  problems: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_match, name: string, fallback?: string) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        problems.push(`${path || '(root)'}: environment variable ${name} is not set`);
        return '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`, problems));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      // `out.__proto__ = …` would set the prototype (the entry silently vanishes); `constructor` and
      // `prototype` would shadow what every object inherits. No name in a config needs them.
      if (RESERVED_NAMES.has(k)) problems.push(`${at}: "${k}" is reserved and cannot be used as a name`);
      else out[k] = interpolate(v, env, at, problems);
    }
    return out;
  }
  return value;
}

/**
 * SWITCHYARD_HOST, SWITCHYARD_PORT and SWITCHYARD_BODY_LIMIT_BYTES override the file's server section;
 * SWITCHYARD_LOG_LEVEL its log.level.
 * SWITCHYARD_STORE_URL puts the request store on PostgreSQL.
 * SWITCHYARD_REDIS_URL shares state through Redis (state.driver redis).
 */
function applyEnvironment(
  config: unknown,
  env: Record<string, string | undefined>,
  problems: string[],
): void {
  if (!config || typeof config !== 'object') return;
  const root = config as Record<string, unknown>;
  const server = (root.server ?? {}) as Record<string, unknown>;
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v)) {
      problems.push(`${name}: expected a whole number, got "${v}"`);
      return undefined;
    }
    return Number(v);
  };
  if (env.SWITCHYARD_HOST) server.host = env.SWITCHYARD_HOST;
  const port = int('SWITCHYARD_PORT');
  if (port !== undefined) server.port = port;
  const limit = int('SWITCHYARD_BODY_LIMIT_BYTES');
  if (limit !== undefined) server.bodyLimitBytes = limit;
  root.server = server;
  // SWITCHYARD_LOG_LEVEL overrides log.level (the schema checks the value).
  if (env.SWITCHYARD_LOG_LEVEL) {
    const log = root.log && typeof root.log === 'object' ? root.log : {};
    root.log = { ...log, level: env.SWITCHYARD_LOG_LEVEL };
  }
  // The request store's PostgreSQL URL, kept out of the file (it holds a password).
  if (env.SWITCHYARD_STORE_URL) {
    const store = (root.store ?? {}) as Record<string, unknown>;
    root.store = { ...store, driver: 'postgres', url: env.SWITCHYARD_STORE_URL };
  }
  // Shared state's Redis URL, kept out of the file (it may hold a password).
  if (env.SWITCHYARD_REDIS_URL) {
    const state = (root.state ?? {}) as Record<string, unknown>;
    root.state = { ...state, driver: 'redis', url: env.SWITCHYARD_REDIS_URL };
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  let path = '';
  for (const key of issue.path) {
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  let message = issue.message;
  if (issue.code === 'unrecognized_keys')
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${path || '(root)'}: ${message}`;
}

function resolve(file: ConfigFile, options: LoadOptions, problems: string[]): ResolvedConfig {
  const providers = new Map<
    string,
    ProviderSettings & {
      region?: string;
      prices: ConfigFile['providers'][string]['prices'];
      contextWindows: ConfigFile['providers'][string]['contextWindows'];
    }
  >();
  for (const [id, p] of Object.entries(file.providers)) {
    const preset = PROVIDER_PRESETS[p.type];
    const baseUrl = (p.baseUrl ?? preset.baseUrl)?.replace(/\/+$/, '');
    if (!baseUrl) problems.push(`providers.${id}.baseUrl: required for type "${p.type}"`);
    const keyPool = resolveKeyPool(id, p, problems);
    if (preset.requiresKey && !p.apiKey && !keyPool)
      problems.push(`providers.${id}.apiKey: required for type "${p.type}"`);
    const options: ProtocolOptions = { ...preset.options };
    if (p.type === 'azure-openai')
      options.query = { 'api-version': p.apiVersion ?? AZURE_DEFAULT_API_VERSION };
    else if (p.apiVersion) options.apiVersion = p.apiVersion;
    if (p.defaultMaxTokens) options.defaultMaxTokens = p.defaultMaxTokens;
    if (p.continuation?.method) options.continuation = p.continuation.method;
    const continuationBase =
      p.continuation?.baseUrl ??
      (baseUrl ? (preset as ProviderPreset).continuationBaseUrl?.(baseUrl) : undefined);
    if (continuationBase) options.continuationBaseUrl = continuationBase.replace(/\/+$/, '');
    providers.set(id, {
      id,
      protocol: preset.protocol,
      baseUrl: baseUrl ?? '',
      apiKey: p.apiKey || keyPool?.keys[0]?.secret || undefined,
      ...(keyPool && keyPool.keys.length > 1 ? { keyPool } : {}),
      headers: p.headers,
      options,
      ...(p.region ? { region: p.region } : {}),
      prices: p.prices,
      contextWindows: p.contextWindows,
    });
  }

  const routes = new Map<string, Route>();
  for (const [name, r] of Object.entries(file.routes)) {
    const targets: Target[] = [];
    r.targets.forEach((t, i) => {
      const provider = providers.get(t.provider);
      if (!provider) {
        const known = [...providers.keys()].map((k) => `"${k}"`).join(', ') || 'none';
        problems.push(
          `routes.${name}.targets[${i}].provider: unknown provider "${t.provider}" (known: ${known})`,
        );
        return;
      }
      // Own entries only: a model named `toString` must not find what every object inherits.
      const price = Object.hasOwn(provider.prices, t.model) ? provider.prices[t.model] : undefined;
      const contextWindow = Object.hasOwn(provider.contextWindows, t.model)
        ? provider.contextWindows[t.model]
        : undefined;
      const p = file.providers[t.provider]!;
      targets.push({
        id: `${t.provider}/${t.model}`,
        provider,
        model: t.model,
        tier: ('tier' in t && t.tier) || 1,
        ...(provider.region ? { region: provider.region } : {}),
        ...(price ? { price } : {}),
        ...(contextWindow ? { contextWindow } : {}),
        ...(p.maxConcurrent
          ? {
              limits: {
                maxConcurrent: p.maxConcurrent,
                maxQueued: p.maxQueued,
                queueTimeoutMs: p.queueTimeoutMs,
              },
            }
          : {}),
      });
    });
    targets.forEach((t, i) => {
      if (i > 0 && t.tier < targets[i - 1]!.tier) {
        problems.push(
          `routes.${name}.targets[${i}].tier: tiers must not go back up (${t.tier} after ${targets[i - 1]!.tier})`,
        );
      }
    });
    const seen = new Set<string>();
    for (const t of targets) {
      if (seen.has(t.id)) problems.push(`routes.${name}.targets: "${t.id}" is listed twice`);
      seen.add(t.id);
    }
    routes.set(name, {
      name,
      targets,
      timeouts: { ...file.defaults.timeouts, ...r.timeouts },
      retry: { ...file.defaults.retry, ...r.retry },
      dropUnsupportedParams: r.dropUnsupportedParams,
      ...(r.hedge ? { hedge: r.hedge } : {}),
      ...(r.continuation ? { continuation: r.continuation } : {}),
      ...(r.cache ? { cache: r.cache } : {}),
      ...resolveSpeculative(name, r, targets, problems),
      ...(r.routing ? { routing: r.routing } : {}),
      ...(r.capture ? { capture: r.capture } : {}),
    });
    if (r.routing) problems.push(...routingProblems(name, r.routing, targets));
  }

  const keys: GatewayKey[] = [];
  const keyNames = new Set<string>();
  const secrets = new Map<string, number>();
  file.keys.forEach((k, i) => {
    if (keyNames.has(k.name)) problems.push(`keys[${i}].name: duplicate key name "${k.name}"`);
    keyNames.add(k.name);
    // Two names for one secret: the gateway could not tell which key (and which models) a caller has.
    const first = secrets.get(k.key);
    if (first !== undefined)
      problems.push(`keys[${i}].key: the same secret as keys[${first}] ("${file.keys[first]!.name}")`);
    else secrets.set(k.key, i);
    for (const m of k.models ?? []) {
      if (!routes.has(m)) problems.push(`keys[${i}].models: unknown route "${m}"`);
    }
    keys.push({
      name: k.name,
      key: k.key,
      ...(k.models ? { models: new Set(k.models) } : {}),
      ...(k.routing ? { routing: k.routing } : {}),
      ...(k.limits ? { limits: k.limits } : {}),
      ...(k.debug !== undefined ? { debug: k.debug } : {}),
    });
  });
  // Keys and limits (docs/keys.md): admin keys from the file and SWITCHYARD_ADMIN_KEY.
  const keysAdmin = resolveKeysAdmin(file, options.env ?? process.env, problems);

  const host = options.overrides?.host ?? file.server.host ?? (keys.length ? '0.0.0.0' : '127.0.0.1');
  if (!keys.length && !keysAdmin.adminKeys.length && !LOOPBACK.has(host)) {
    problems.push(
      `server.host: "${host}" is not loopback; configure gateway keys before exposing the gateway`,
    );
  }
  if (file.server.headersTimeoutMs > file.server.requestTimeoutMs) {
    problems.push(
      `server.headersTimeoutMs: ${file.server.headersTimeoutMs} is longer than server.requestTimeoutMs (${file.server.requestTimeoutMs}), which includes the headers`,
    );
  }
  const slos = resolveSlos(file.slos, { routes: new Set(routes.keys()), keys: keyNames }, problems);
  const alerts = resolveAlerts(file.alerts, slos, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    server: {
      host,
      port: options.overrides?.port ?? file.server.port,
      bodyLimitBytes: file.server.bodyLimitBytes,
      bodyDepthLimit: file.server.bodyDepthLimit,
      headersTimeoutMs: file.server.headersTimeoutMs,
      requestTimeoutMs: file.server.requestTimeoutMs,
      keepAliveTimeoutMs: file.server.keepAliveTimeoutMs,
      maxHeaderBytes: file.server.maxHeaderBytes,
      maxConnections: file.server.maxConnections,
      clientStallMs: file.server.clientStallMs,
      requestLog: file.server.requestLog,
      drainMs: file.server.drainMs,
    },
    retryBudget: file.retryBudget,
    breakers: file.breakers,
    upstream: file.upstream,
    metrics: file.metrics,
    slos,
    alerts,
    log: file.log,
    status: file.status,
    store: file.store,
    cache: file.cache,
    state: file.state,
    healthChecks: Object.entries(file.providers).flatMap(([provider, p]) =>
      p.healthCheck ? [{ provider, ...p.healthCheck }] : [],
    ),
    providers,
    routes,
    keys,
    keysAdmin,
  };
}
