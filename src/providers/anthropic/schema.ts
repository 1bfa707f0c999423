/**
 * The JSON Schema subset of Anthropic's structured outputs (`output_config.format`) and strict tools
 * (`strict: true`), from …/build-with-claude/structured-outputs "JSON Schema limitations":
 * - supported: the basic types, `enum` of primitives, `const`, `anyOf`, `allOf`, local `$ref`/`$defs`/
 *   `definitions`, `default`, `required`, `additionalProperties: false` (required on every object),
 *   string `format`s date-time, time, date, duration, email, hostname, uri, ipv4, ipv6, uuid, simple
 *   `pattern`s, array `minItems` of 0 or 1;
 * - not supported: numeric constraints (`minimum`, `maximum`, `multipleOf`, …), string lengths, other
 *   array constraints (`maxItems`, `uniqueItems`, `minItems` above 1), recursive schemas, external refs.
 * Anthropic's SDKs (`transformJSONSchema` in @anthropic-ai/sdk) move what is not supported into the
 * description and validate the answer afterwards; the gateway does the same move (the client, which
 * asked OpenAI-style, validates). Recursive schemas are passed on unchanged: they cannot be rewritten.
 */
import { isPrimitive, typesOf, type JsonSchema, type SchemaDialect } from '../schema-subset.js';

const FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'uri',
  'ipv4',
  'ipv6',
  'uuid',
]);

const ANY_TYPE = new Set([
  'type',
  'title',
  'anyOf',
  'allOf',
  '$ref',
  '$defs',
  'definitions',
  '$id',
  '$anchor',
  '$comment',
  'default',
]);

function acceptsForType(type: string, key: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return key === 'properties' || key === 'required';
    case 'array':
      return key === 'items' || (key === 'minItems' && (value === 0 || value === 1));
    case 'string':
      return key === 'pattern' || (key === 'format' && typeof value === 'string' && FORMATS.has(value));
    default:
      return false;
  }
}

export const ANTHROPIC_SCHEMA: SchemaDialect = {
  closedObjects: true,
  oneOfAsAnyOf: true,
  accepts(key: string, value: unknown, node: JsonSchema): boolean {
    if (ANY_TYPE.has(key)) return true;
    if (key === 'enum') return Array.isArray(value) && value.every(isPrimitive);
    if (key === 'const') return isPrimitive(value);
    const types = typesOf(node);
    if (types.length === 0 && key === 'properties') return true;
    return types.some((type) => acceptsForType(type, key, value));
  },
};
