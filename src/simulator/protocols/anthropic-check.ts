/**
 * Anthropic's request validation speaks Pydantic: `max_tokens: Field required`, `temperature: Input
 * should be less than or equal to 1`, `foo: Extra inputs are not permitted`, paths joined with dots
 * and tagged unions named in the path (`tools.0.custom.name`, `messages.0.content.1.image.source`).
 */
import { AnthropicInvalid } from './anthropic-errors.js';

export type Json = Record<string, unknown>;
export type Kind = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'dictionary';

export const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function matches(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'list':
      return Array.isArray(value);
    case 'dictionary':
      return isJson(value);
  }
}

export function fail(path: string, message: string): AnthropicInvalid {
  return new AnthropicInvalid(path === '' ? message : `${path}: ${message}`);
}

/** A required field of `kind`. */
export function need(body: Json, key: string, kind: Kind, prefix = ''): unknown {
  const path = prefix === '' ? key : `${prefix}.${key}`;
  if (!(key in body)) throw fail(path, 'Field required');
  return expect(body[key], kind, path);
}

/** A value of `kind` ("Input should be a valid integer"). */
export function expect(value: unknown, kind: Kind, path: string): unknown {
  if (!matches(value, kind)) throw fail(path, `Input should be a valid ${kind}`);
  return value;
}

/** An optional field of `kind`; absent (not null) means unset. */
export function optional(body: Json, key: string, kind: Kind, prefix = ''): unknown {
  if (!(key in body)) return undefined;
  return expect(body[key], kind, prefix === '' ? key : `${prefix}.${key}`);
}

export function range(value: unknown, path: string, min?: number, max?: number): void {
  const n = value as number;
  if (min !== undefined && n < min) throw fail(path, `Input should be greater than or equal to ${min}`);
  if (max !== undefined && n > max) throw fail(path, `Input should be less than or equal to ${max}`);
}

/** "Input should be 'user' or 'assistant'" */
export function oneOf(value: unknown, allowed: readonly string[], path: string): string {
  if (typeof value === 'string' && allowed.includes(value)) return value;
  const quoted = allowed.map((a) => `'${a}'`);
  const list =
    quoted.length <= 2 ? quoted.join(' or ') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  throw fail(path, `Input should be ${list}`);
}

/** Rejects keys outside `known` ("Extra inputs are not permitted"). */
export function noExtra(body: Json, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key))
      throw fail(prefix === '' ? key : `${prefix}.${key}`, 'Extra inputs are not permitted');
  }
}

/** The tag of a tagged union member ("Input tag 'x' found using 'type' does not match any of …"). */
export function tag(value: Json, allowed: readonly string[], path: string): string {
  if (!('type' in value)) throw fail(path, "Unable to extract tag using discriminator 'type'");
  const type = value.type;
  if (typeof type === 'string' && allowed.includes(type)) return type;
  const expected = allowed.map((a) => `'${a}'`).join(', ');
  throw fail(
    path,
    `Input tag '${String(type)}' found using 'type' does not match any of the expected tags: ${expected}`,
  );
}

/** The body as a JSON object. */
export function parseJson(raw: Buffer): Json {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AnthropicInvalid(
      'There was an error parsing the body of your request. Please check that it is valid JSON.',
    );
  }
  if (!isJson(body)) throw new AnthropicInvalid('Input should be a valid dictionary');
  return body;
}
