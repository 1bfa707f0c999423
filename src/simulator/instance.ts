/**
 * A deterministic JSON instance of a JSON Schema: what a simulated model answers for structured output
 * and passes as tool arguments. It covers the schema features the providers' constrained decoding
 * supports: types (also type lists and Gemini's upper-case OpenAPI types and `nullable`), properties
 * (every declared one; only the required ones past a depth, so recursive schemas end), enum and const,
 * anyOf/oneOf (the first branch that is not null), allOf of objects, arrays with minItems/maxItems,
 * numeric bounds (inclusive, exclusive, multipleOf), string minLength/maxLength, common formats, simple
 * patterns (a candidate is kept only if it matches), and local `$ref`s into `$defs`/`definitions`.
 * Like a model, it also reads constraints written into a description the way Anthropic's SDK (and the
 * gateway) write what a provider cannot enforce: `… {minimum: 1, maxItems: 5}` at its end.
 * The same schema always gives the same instance.
 */
import { replyWords } from './text.js';

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Past this depth objects keep only their required properties and arrays their minimum length. */
const SHALLOW_AT = 6;
/** Past this depth (a recursive required chain) the instance stops. */
const MAX_DEPTH = 24;

const FORMATS: Record<string, string> = {
  'date-time': '2025-01-01T12:00:00Z',
  date: '2025-01-01',
  time: '12:00:00',
  duration: 'P1D',
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  hostname: 'example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '123e4567-e89b-42d3-a456-426614174000',
};

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v; // Gemini's proto schema spells int64 fields as strings
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

class Generator {
  constructor(private readonly root: unknown) {}

  value(input: unknown, depth: number, index = 0): unknown {
    if (!isSchema(input) || depth > MAX_DEPTH) return depth > MAX_DEPTH ? null : 'switchyard';
    const schema = withDescribedConstraints(input);
    if (typeof schema.$ref === 'string') return this.value(this.resolve(schema.$ref), depth + 1, index);
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[index % schema.enum.length];
    if ('const' in schema) return schema.const;
    const union = (schema.anyOf ?? schema.oneOf) as unknown;
    if (Array.isArray(union) && union.length > 0) {
      const branch = union.find((s) => !(isSchema(s) && s.type === 'null')) ?? union[0];
      return this.value(branch, depth + 1, index);
    }
    if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return this.allOf(schema.allOf, depth, index);
    switch (typeOf(schema)) {
      case 'object':
        return this.object(schema, depth);
      case 'array':
        return this.array(schema, depth);
      case 'integer':
        return numberIn(schema, true, index);
      case 'number':
        return numberIn(schema, false, index);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return stringFor(schema, index);
    }
  }

  private allOf(parts: unknown[], depth: number, index: number): unknown {
    const values = parts.map((p) => this.value(p, depth + 1, index));
    if (values.every(isSchema)) return Object.assign({}, ...values) as unknown;
    return values[0];
  }

  private object(schema: Schema, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    for (const [name, property] of Object.entries(properties)) {
      if (depth >= SHALLOW_AT && !required.has(name)) continue;
      out[name] = this.value(property, depth + 1);
    }
    return out;
  }

  private array(schema: Schema, depth: number): unknown[] {
    const min = num(schema.minItems) ?? 0;
    const max = num(schema.maxItems) ?? Infinity;
    const count = Math.min(Math.max(min, depth >= SHALLOW_AT ? 0 : 1), max);
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(this.value(prefix[i] ?? schema.items, depth + 1, i));
    return out;
  }

  /** `#`, `#/$defs/Name`, `#/definitions/Name` (JSON Pointer, `~0`/`~1` unescaped). */
  private resolve(ref: string): unknown {
    if (!ref.startsWith('#')) return {};
    let node: unknown = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isSchema(node) ? node[key] : undefined;
    }
    return node ?? {};
  }
}

/** Keywords a description may state, as `{key: value, …}` at its end. */
const DESCRIBED = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'format',
]);

/** The schema plus the constraints its description states (those the schema does not already set). */
function withDescribedConstraints(schema: Schema): Schema {
  if (typeof schema.description !== 'string') return schema;
  const match = /\{([^{}]*)\}$/.exec(schema.description.trimEnd());
  if (match === null) return schema;
  const extra: Schema = {};
  for (const pair of (match[1] ?? '').split(', ')) {
    const at = pair.indexOf(': ');
    const key = pair.slice(0, at);
    if (at <= 0 || !DESCRIBED.has(key) || key in schema) continue;
    try {
      extra[key] = JSON.parse(pair.slice(at + 2)) as unknown;
    } catch {
      // not a value this reader understands
    }
  }
  return Object.keys(extra).length === 0 ? schema : { ...schema, ...extra };
}

function typeOf(schema: Schema): string | undefined {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type])
    .filter((t): t is string => typeof t === 'string')
    .map((t) => t.toLowerCase());
  const type = types.find((t) => t !== 'null') ?? types[0];
  if (type !== undefined) return type;
  if (isSchema(schema.properties)) return 'object';
  if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
  return undefined;
}

/** A number inside the bounds: the lowest integer (or step) that fits, the index-th one up; a fraction
 * between two bounds when nothing else fits. */
function numberIn(schema: Schema, integer: boolean, index: number): number {
  const exMin =
    num(schema.exclusiveMinimum) ?? (schema.exclusiveMinimum === true ? num(schema.minimum) : undefined);
  const exMax =
    num(schema.exclusiveMaximum) ?? (schema.exclusiveMaximum === true ? num(schema.maximum) : undefined);
  const min = exMin === undefined ? num(schema.minimum) : undefined;
  const max = exMax === undefined ? num(schema.maximum) : undefined;
  const step = num(schema.multipleOf) ?? (integer ? 1 : undefined);
  const fits = (v: number): boolean =>
    (min === undefined || v >= min) &&
    (max === undefined || v <= max) &&
    (exMin === undefined || v > exMin) &&
    (exMax === undefined || v < exMax);
  const unit = step ?? 1;
  const floor = min ?? (exMin !== undefined ? exMin + (step === undefined ? 0 : unit) : undefined);
  let value = floor ?? Math.min(1, (max ?? exMax ?? 2) - 1);
  value = Math.ceil(value / unit) * unit;
  if (!fits(value)) value += unit;
  if (!fits(value) && step === undefined) {
    const low = min ?? exMin ?? value - 2;
    const high = max ?? exMax ?? low + 2;
    value = (low + high) / 2;
  }
  const next = value + index * unit;
  return fits(next) ? next : value;
}

function stringFor(schema: Schema, index: number): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength) ?? Infinity;
  let text = replyWords(3, index).join(' ');
  while (text.length < min) text += ` ${replyWords(3, index + text.length).join(' ')}`;
  if (text.length > max) text = text.slice(0, max).trimEnd().padEnd(Math.min(min, max), 'x');
  const candidates = format !== undefined ? [format, text] : [text];
  if (typeof schema.pattern !== 'string') return candidates[0] as string;
  let pattern: RegExp;
  try {
    pattern = new RegExp(schema.pattern, 'u');
  } catch {
    return candidates[0] as string;
  }
  return candidates.find((c) => pattern.test(c)) ?? (candidates[0] as string);
}

/** An instance of `schema` (a JSON Schema, or Gemini's OpenAPI-subset Schema). */
export function instanceOf(schema: unknown): unknown {
  return new Generator(schema).value(schema, 0);
}

/** What a model asked for JSON without a schema answers: one object. */
export function jsonObjectAnswer(replyText: string): Record<string, unknown> {
  return { reply: replyText };
}
