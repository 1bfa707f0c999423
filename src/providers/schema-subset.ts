/**
 * JSON Schema → the subset a target accepts. Providers that constrain decoding to a schema accept only
 * some keywords (and refuse or ignore the rest); each protocol describes its subset as a
 * {@link SchemaDialect} and this module rewrites a client's schema into it:
 * - a keyword the dialect does not accept is removed and written into the node's `description`
 *   (`{minimum: 1, maximum: 10}`), so the model still sees the constraint (providers' own SDKs do the
 *   same and validate afterwards);
 * - with `closedObjects`, every object gets `additionalProperties: false`;
 * - `oneOf` becomes `anyOf`, a primitive `const` an `enum`, a `$ref` with sibling keywords is wrapped in
 *   an `anyOf`, where the dialect asks for it.
 * The input is never modified (the same request may fail over to a target that takes the schema as it
 * is); the result is a new object. What changed is returned, for `x-switchyard-warnings`.
 */

export type JsonSchema = Record<string, unknown>;

export interface SchemaDialect {
  /** Whether `key` may stay on `node` as it is (structural keywords are decided here too). */
  accepts(key: string, value: unknown, node: JsonSchema): boolean;
  /** Every object node must say `additionalProperties: false`. */
  closedObjects?: boolean;
  /** `oneOf` is spelled `anyOf`. */
  oneOfAsAnyOf?: boolean;
  /** A string or number `const` is spelled `enum: [value]`. */
  constAsEnum?: boolean;
  /** A `$ref` may carry no sibling keywords except `$`-keywords. */
  bareRefs?: boolean;
}

export interface SchemaTranslation {
  schema: JsonSchema;
  /** Keywords moved into descriptions, distinct, in first-seen order. */
  moved: string[];
  /** Object nodes that received `additionalProperties: false`. */
  closed: number;
  /** Other rewrites (`oneOf → anyOf`, …), distinct. */
  rewritten: string[];
}

/** Keywords whose values are maps of subschemas. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas']);
/** Keywords whose values are lists of subschemas. */
const SCHEMA_LISTS = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems']);
/** Keywords whose values are one subschema. */
const SCHEMA_ONE = new Set(['items', 'not', 'contains', 'propertyNames', 'additionalItems']);
/** Deeper than this, a schema is passed on as it is (inbound limits already bound request depth). */
const MAX_DEPTH = 64;

const isSchema = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isPrimitive = (v: unknown): boolean => v === null || typeof v !== 'object';

/** The node's declared types (`type: 'x'` or `type: ['x', 'null']`). */
export function typesOf(node: JsonSchema): string[] {
  const type = node.type;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

const isObjectNode = (node: JsonSchema): boolean =>
  typesOf(node).includes('object') || (node.type === undefined && isSchema(node.properties));

class Translator {
  readonly moved = new Set<string>();
  readonly rewritten = new Set<string>();
  closed = 0;

  constructor(private readonly dialect: SchemaDialect) {}

  node(input: unknown, depth: number): unknown {
    if (!isSchema(input) || depth > MAX_DEPTH) return input;
    const out: JsonSchema = {};
    const moved: [string, unknown][] = [];
    for (const [key, value] of Object.entries(input)) {
      if (key === '$schema' || key === 'description') continue;
      if (key === 'oneOf' && this.dialect.oneOfAsAnyOf && input.anyOf === undefined) {
        out.anyOf = this.child(key, value, depth);
        this.rewritten.add('oneOf → anyOf');
        continue;
      }
      if (key === 'const' && this.dialect.constAsEnum && input.enum === undefined) {
        if (typeof value === 'string' || typeof value === 'number') {
          out.enum = [value];
          this.rewritten.add('const → enum');
          continue;
        }
      }
      if (key === 'additionalProperties' && this.dialect.closedObjects && isObjectNode(input)) {
        if (value !== false) moved.push([key, value]);
        continue;
      }
      if (this.dialect.accepts(key, value, input)) out[key] = this.child(key, value, depth);
      else moved.push([key, value]);
    }
    if (this.dialect.closedObjects && isObjectNode(input)) {
      if (input.additionalProperties !== false) this.closed++;
      out.additionalProperties = false;
    }
    const description = describe(input.description, moved);
    if (description !== undefined) out.description = description;
    for (const [key] of moved) this.moved.add(key);
    return this.dialect.bareRefs ? this.bareRef(out) : out;
  }

  private child(key: string, value: unknown, depth: number): unknown {
    if (SCHEMA_MAPS.has(key) && isSchema(value)) {
      const map: JsonSchema = {};
      for (const [name, sub] of Object.entries(value)) map[name] = this.node(sub, depth + 1);
      return map;
    }
    if (SCHEMA_LISTS.has(key) && Array.isArray(value)) return value.map((s) => this.node(s, depth + 1));
    if (key === 'items' && Array.isArray(value)) return value.map((s) => this.node(s, depth + 1));
    if (SCHEMA_ONE.has(key) || key === 'additionalProperties') return this.node(value, depth + 1);
    return value;
  }

  /** `{$ref, description}` → `{description, anyOf: [{$ref}]}`: the reference alone in its own node. */
  private bareRef(node: JsonSchema): JsonSchema {
    if (typeof node.$ref !== 'string') return node;
    const siblings = Object.keys(node).filter((k) => !k.startsWith('$'));
    if (siblings.length === 0) return node;
    const { $ref, ...rest } = node;
    this.rewritten.add('$ref with siblings → anyOf');
    return { ...rest, anyOf: [{ $ref }] };
  }
}

/** The node's own description, then the moved keywords as `{key: value, …}` (the form providers' SDKs write). */
function describe(own: unknown, moved: [string, unknown][]): string | undefined {
  const base = typeof own === 'string' && own !== '' ? own : undefined;
  if (moved.length === 0) return base;
  const list = `{${moved.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`;
  return base === undefined ? list : `${base}\n\n${list}`;
}

export function translateSchema(schema: JsonSchema, dialect: SchemaDialect): SchemaTranslation {
  const translator = new Translator(dialect);
  const out = translator.node(schema, 0) as JsonSchema;
  return {
    schema: out,
    moved: [...translator.moved],
    closed: translator.closed,
    rewritten: [...translator.rewritten],
  };
}

/** Keywords named in one warning (the rest is `…`), each cut at 40 characters: a header stays small. */
const MAX_LISTED = 12;

/**
 * One line for `x-switchyard-warnings`, or undefined when nothing changed: `<where>: <target> does not
 * support maximum, minimum (moved into descriptions); additionalProperties: false set on 2 objects`.
 */
export function schemaWarning(where: string, target: string, t: SchemaTranslation): string | undefined {
  const parts: string[] = [];
  if (t.moved.length > 0) {
    const listed = t.moved.slice(0, MAX_LISTED).map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k));
    const names = listed.join(', ') + (t.moved.length > MAX_LISTED ? ', …' : '');
    parts.push(`${target} does not support ${names} (moved into descriptions)`);
  }
  if (t.closed > 0)
    parts.push(`additionalProperties: false set on ${t.closed} object${t.closed === 1 ? '' : 's'}`);
  if (t.rewritten.length > 0) parts.push(t.rewritten.join(', '));
  return parts.length === 0 ? undefined : `${where}: ${parts.join('; ')}`;
}
