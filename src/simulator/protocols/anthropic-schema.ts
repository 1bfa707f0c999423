/**
 * The JSON Schema rules of Anthropic's structured outputs (`output_config.format`, the deprecated
 * `output_format`) and strict tools (`strict: true`), written from the structured-outputs guide ("JSON
 * Schema limitations": no numerical constraints, no string length constraints, no array constraints
 * beyond `minItems` of 0 or 1, `additionalProperties` must be `false` on every object) and the API's
 * 400s quoted in public issue threads:
 *   `output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false`
 *   `output_format.schema: For 'integer' type, property 'minimum' is not supported`
 *   `For 'number' type, properties maximum, minimum are not supported` (several: sorted, listed)
 *   `tools.0.custom: For 'array' type, property 'maxItems' is not supported`
 *   `tools.0.custom: For 'array' type, 'minItems' values other than 0 or 1 are not supported`
 * Less certain: the order in which a schema's several faults are reported (here: depth first, each
 * node's unsupported properties before its `additionalProperties`).
 */
import { fail, isJson, type Json } from './anthropic-check.js';

const UNSUPPORTED: Record<string, readonly string[]> = {
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'],
  string: ['minLength', 'maxLength'],
  array: ['maxItems', 'uniqueItems'],
  object: ['minProperties', 'maxProperties'],
};

const MAX_DEPTH = 64;

function typesOf(node: Json): string[] {
  const type = node.type;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

function checkNode(node: Json, at: string): void {
  for (const type of typesOf(node)) {
    const found = (UNSUPPORTED[type] ?? []).filter((key) => key in node).sort();
    if (found.length === 1) throw fail(at, `For '${type}' type, property '${found[0]}' is not supported`);
    if (found.length > 1)
      throw fail(at, `For '${type}' type, properties ${found.join(', ')} are not supported`);
    if (type === 'array' && 'minItems' in node && node.minItems !== 0 && node.minItems !== 1) {
      throw fail(at, `For 'array' type, 'minItems' values other than 0 or 1 are not supported`);
    }
    if (type === 'object' && node.additionalProperties !== false) {
      throw fail(at, `For 'object' type, 'additionalProperties' must be explicitly set to false`);
    }
  }
}

function walk(node: unknown, at: string, depth: number): void {
  if (!isJson(node) || depth > MAX_DEPTH) return;
  checkNode(node, at);
  const children: unknown[] = [];
  for (const key of ['properties', '$defs', 'definitions']) {
    if (isJson(node[key])) children.push(...Object.values(node[key]));
  }
  for (const key of ['anyOf', 'allOf', 'oneOf', 'prefixItems']) {
    if (Array.isArray(node[key])) children.push(...(node[key] as unknown[]));
  }
  if (node.items !== undefined) children.push(node.items);
  for (const child of children) walk(child, at, depth + 1);
}

/** Throws the API's 400 for a schema outside the structured-outputs subset; `at` prefixes the message. */
export function checkStructuredSchema(schema: Json, at: string): void {
  walk(schema, at, 0);
}
