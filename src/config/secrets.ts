/**
 * Every secret a resolved configuration holds, for the one scrubber that redacts them from whatever
 * leaves the gateway: providers' API keys (every key of a key pool), the values of their secret-bearing headers (without an
 * auth scheme such as `Bearer `), credentials and secret query parameters in their base URLs and
 * query options, and the gateway's own keys.
 */
import { SecretScrubber } from '../core/secret-scrubber.js';
import type { ProviderSettings } from '../providers/types.js';
import type { ResolvedConfig } from './types.js';

/** Header and query-parameter names whose values are credentials. */
const SECRET_NAME = /auth|key|token|secret|passw|credential|cookie|session|signature|sig$/i;
const AUTH_SCHEME = /^(?:bearer|basic|token|bot|key|apikey)\s+/i;

function providerSecrets(provider: ProviderSettings): string[] {
  const out: string[] = [];
  if (provider.apiKey) out.push(provider.apiKey);
  // Every key of a pool, not only the first: any of them may be echoed back.
  for (const key of provider.keyPool?.keys ?? []) out.push(key.secret);
  for (const [name, value] of Object.entries(provider.headers)) {
    if (!SECRET_NAME.test(name)) continue;
    // The credential without its scheme: "Bearer " is no secret, and a window across it would redact
    // the space before an echoed credential.
    const credential = value.replace(AUTH_SCHEME, '');
    out.push(credential, ...basicCredentials(value, credential));
  }
  for (const [name, value] of Object.entries(provider.options.query ?? {}))
    if (SECRET_NAME.test(name)) out.push(value);
  out.push(...urlSecrets(provider.baseUrl));
  return out;
}

/** `Basic base64(user:password)`: the password too, in case an upstream echoes it decoded. */
function basicCredentials(value: string, credential: string): string[] {
  if (!/^basic\s/i.test(value)) return [];
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? [] : [decoded, decoded.slice(colon + 1)];
}

function urlSecrets(baseUrl: string): string[] {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (url.password) out.push(decodeURIComponent(url.password));
  for (const [name, value] of url.searchParams) if (SECRET_NAME.test(name)) out.push(value);
  return out;
}

/**
 * Alert sinks: a webhook URL grants posting (a Slack incoming webhook is its URL). Its secret parts are
 * the token-like segments of its path (Slack's last 24 characters, Discord's token), its password and
 * secret-named query parameters, and a generic webhook's header values. Not the whole URL: its scheme
 * and host (`https://hooks.slack.com/services/`) are no secret, and scrubbing them would redact every
 * URL on the same host, the gateway's own status page link included.
 */
function alertSinkSecrets(config: ResolvedConfig): string[] {
  return config.alerts.sinks.flatMap((sink) => {
    const out = urlSecrets(sink.url);
    try {
      for (const segment of new URL(sink.url).pathname.split('/'))
        if (tokenLike(decodeURIComponent(segment))) out.push(decodeURIComponent(segment));
    } catch {
      // the schema validated the URL
    }
    if (sink.type === 'webhook')
      for (const value of Object.values(sink.headers)) out.push(value.replace(AUTH_SCHEME, ''));
    return out;
  });
}

/** A path segment that looks generated rather than named: long, with letters and digits mixed. */
const tokenLike = (segment: string): boolean =>
  segment.length >= 32 || (segment.length >= 16 && /\d/.test(segment) && /[A-Za-z]/.test(segment));

export function configuredSecrets(config: ResolvedConfig): string[] {
  return [
    ...[...config.providers.values()].flatMap(providerSecrets),
    ...config.keys.map((k) => k.key),
    // Admin keys (docs/keys.md); virtual keys' hashes are no secrets, and their secrets are never held.
    ...config.keysAdmin.adminKeys,
    ...alertSinkSecrets(config),
  ];
}

/** The scrubber for everything this configuration holds; built once per server. */
export function secretScrubberFor(config: ResolvedConfig): SecretScrubber {
  return new SecretScrubber(configuredSecrets(config));
}
