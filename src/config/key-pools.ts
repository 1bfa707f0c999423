/**
 * A provider's key pool from its `apiKeys` (docs/configuration.md#key-pools): each entry a key (often
 * `${ENV}`) or `{key, name}`. A key is named by its configured `name` or `key#N`, its 1-based position
 * in the list, so that every message about it can say which key without saying the key.
 */
import type { KeyPoolSettings, ProviderKey } from '../providers/types.js';
import type { ConfigFile } from './schema.js';

type ProviderEntry = ConfigFile['providers'][string];

/** The pool, or undefined when the provider has no `apiKeys` (or every entry expanded to nothing). */
export function resolveKeyPool(
  id: string,
  p: ProviderEntry,
  problems: string[],
): KeyPoolSettings | undefined {
  const at = `providers.${id}`;
  if (!p.apiKeys) {
    if (p.keySelection) problems.push(`${at}.keySelection: only with apiKeys`);
    return undefined;
  }
  if (p.apiKey) problems.push(`${at}: set apiKey or apiKeys, not both`);
  const keys: ProviderKey[] = [];
  const names = new Set<string>();
  const secrets = new Map<string, number>();
  p.apiKeys.forEach((entry, i) => {
    const secret = typeof entry === 'string' ? entry : entry.key;
    const label = typeof entry === 'string' ? `key#${i + 1}` : entry.name;
    if (typeof entry !== 'string') {
      if (names.has(label)) problems.push(`${at}.apiKeys[${i}].name: "${label}" is used twice`);
      names.add(label);
    }
    // `${KEY_3:-}`: a key the environment does not provide is left out; the others keep their numbers.
    if (secret === '') return;
    const twin = secrets.get(secret);
    if (twin !== undefined) problems.push(`${at}.apiKeys[${i}]: the same key as apiKeys[${twin}]`);
    secrets.set(secret, i);
    keys.push({ secret, label });
  });
  if (!keys.length) return undefined;
  return { keys, selection: p.keySelection ?? 'round-robin' };
}
