/**
 * Type and range checks that fail the way OpenAI's request validation does, e.g.
 * "Invalid type for 'n': expected an integer, but got a string instead." (code `invalid_type`).
 */
import { InvalidRequest } from './openai-errors.js';

export type Json = Record<string, unknown>;
export type Expected = 'string' | 'integer' | 'decimal' | 'boolean' | 'array' | 'object';

const ARTICLE: Record<Expected, string> = {
  string: 'a string',
  integer: 'an integer',
  decimal: 'a decimal',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
};

export const isJsonObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How OpenAI names the type of a value it got. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

function matches(value: unknown, expected: Expected): boolean {
  switch (expected) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isJsonObject(value);
  }
}

export function expectType(value: unknown, expected: Expected, param: string): void {
  if (matches(value, expected)) return;
  throw new InvalidRequest(
    `Invalid type for '${param}': expected ${ARTICLE[expected]}, but got ${describe(value)} instead.`,
    param,
    'invalid_type',
  );
}

/** A number within [min, max] ("integer above maximum value", "decimal below minimum value", …). */
export function expectRange(
  value: unknown,
  param: string,
  integer: boolean,
  min?: number,
  max?: number,
): void {
  expectType(value, integer ? 'integer' : 'decimal', param);
  const n = value as number;
  const kind = integer ? 'integer' : 'decimal';
  if (min !== undefined && n < min) {
    throw new InvalidRequest(
      `Invalid '${param}': ${kind} below minimum value. Expected a value >= ${min}, but got ${n} instead.`,
      param,
      `${kind}_below_min_value`,
    );
  }
  if (max !== undefined && n > max) {
    throw new InvalidRequest(
      `Invalid '${param}': ${kind} above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      param,
      `${kind}_above_max_value`,
    );
  }
}

/** "'a', 'b', and 'c'" — OpenAI's way of listing supported values. */
export function listValues(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 2) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted[quoted.length - 1]}`;
}

export function expectOneOf(value: unknown, allowed: readonly string[], param: string): void {
  expectType(value, 'string', param);
  if (allowed.includes(value as string)) return;
  throw new InvalidRequest(
    `Invalid value: '${String(value)}'. Supported values are: ${listValues(allowed)}.`,
    param,
    'invalid_value',
  );
}

export function missing(param: string): InvalidRequest {
  return new InvalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

export function expectNonEmptyArray(value: unknown, param: string): unknown[] {
  expectType(value, 'array', param);
  const array = value as unknown[];
  if (array.length === 0) {
    throw new InvalidRequest(
      `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      param,
      'empty_array',
    );
  }
  return array;
}

/** Rejects top-level keys the endpoint does not know: "Unrecognized request argument supplied: X". */
export function rejectUnknown(body: Json, known: ReadonlySet<string>): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) throw new InvalidRequest(`Unrecognized request argument supplied: ${key}`);
  }
}

/** The body as a JSON object, or OpenAI's "could not parse the JSON body" 400. */
export function parseBody(raw: Buffer): Json {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (isJsonObject(body)) return body;
  throw new InvalidRequest(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
      'library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you ' +
      'have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)',
  );
}

/** `model` must be present and a string. */
export function readModel(body: Json): string {
  if (body.model === undefined || body.model === null || body.model === '') {
    throw new InvalidRequest('you must provide a model parameter');
  }
  expectType(body.model, 'string', 'model');
  return body.model as string;
}
