/**
 * The JSON Schema subset of Gemini's `responseJsonSchema` (GenerationConfig reference): "While the full
 * JSON Schema may be sent, not all features are supported. Specifically, only the following properties
 * are supported: $id, $defs, $ref, $anchor, type, format, title, description, enum (for strings and
 * numbers), items, prefixItems, minItems, maxItems, minimum, maximum, anyOf, oneOf (interpreted the
 * same as anyOf), properties, additionalProperties, required", plus `propertyOrdering`; "If $ref is set
 * on a sub-schema, no other properties, except for than those starting as a $, may be set."
 * `parametersJsonSchema` (FunctionDeclaration) takes "JSON Schema format" with no list of its own; the
 * same subset is applied there. Other keywords (string lengths, `pattern`, `multipleOf`, exclusive
 * bounds, `uniqueItems`, `default`, …) would be ignored by the model: they move into the description,
 * where it reads them. `definitions` stays (moving it would break the `$ref`s that point into it).
 */
import type { JsonSchema, SchemaDialect } from '../schema-subset.js';

const SUPPORTED = new Set([
  '$id',
  '$defs',
  '$ref',
  '$anchor',
  'type',
  'format',
  'title',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'oneOf',
  'properties',
  'additionalProperties',
  'required',
  'propertyOrdering',
  'definitions',
]);

export const GEMINI_SCHEMA: SchemaDialect = {
  constAsEnum: true,
  bareRefs: true,
  accepts(key: string, value: unknown, _node: JsonSchema): boolean {
    if (key === 'enum')
      return Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number');
    return SUPPORTED.has(key);
  },
};
