import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ANTHROPIC_SCHEMA } from './anthropic/schema.js';
import { GEMINI_SCHEMA } from './gemini/schema.js';
import { schemaWarning, translateSchema } from './schema-subset.js';

const person = z.object({
  name: z.string().min(2).max(40).describe('Full name'),
  age: z.number().int().min(1).max(120),
  tags: z.array(z.string()).min(2).max(5),
  address: z.object({ city: z.string(), zip: z.string().regex(/^\d{5}$/) }),
  kind: z.literal('person'),
});

describe('schema subset translation', () => {
  it('Anthropic: bounds move into descriptions, every object is closed, the input is untouched', () => {
    const input = z.toJSONSchema(person) as Record<string, unknown>;
    const before = JSON.stringify(input);
    const t = translateSchema(input, ANTHROPIC_SCHEMA);
    expect(JSON.stringify(input)).toBe(before);
    const props = t.schema.properties as Record<string, Record<string, unknown>>;
    expect(t.schema.$schema).toBeUndefined();
    expect(t.schema.additionalProperties).toBe(false);
    expect(props.address!.additionalProperties).toBe(false);
    expect(props.address!.properties).toEqual({
      city: { type: 'string' },
      zip: { type: 'string', pattern: '^\\d{5}$' },
    });
    expect(props.name).toEqual({ type: 'string', description: 'Full name\n\n{minLength: 2, maxLength: 40}' });
    expect(props.age!.description).toContain('minimum: 1');
    expect(props.age!.description).toContain('maximum: 120');
    expect(props.age!.minimum).toBeUndefined();
    expect(props.tags).toEqual({
      type: 'array',
      items: { type: 'string' },
      description: '{minItems: 2, maxItems: 5}',
    });
    expect(props.kind).toEqual({ type: 'string', const: 'person' });
    expect(t.closed).toBe(0); // zod 4 closes its objects itself
    expect(schemaWarning('response_format.json_schema.schema', 'a/claude', t)).toBe(
      'response_format.json_schema.schema: a/claude does not support minLength, maxLength, minimum, ' +
        'maximum, minItems, maxItems (moved into descriptions)',
    );
    const open = translateSchema({ type: 'object', properties: { o: { type: 'object' } } }, ANTHROPIC_SCHEMA);
    expect(schemaWarning('w', 'a/claude', open)).toBe('w: additionalProperties: false set on 2 objects');
  });

  it('Anthropic: minItems 0 or 1 stays, oneOf becomes anyOf, a map loses its value schema to the description', () => {
    const t = translateSchema(
      {
        type: 'object',
        properties: {
          list: { type: 'array', items: { type: 'integer' }, minItems: 1 },
          either: { oneOf: [{ type: 'string' }, { type: 'null' }] },
          map: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
      ANTHROPIC_SCHEMA,
    );
    const props = t.schema.properties as Record<string, Record<string, unknown>>;
    expect(props.list).toEqual({ type: 'array', items: { type: 'integer' }, minItems: 1 });
    expect(props.either).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] });
    expect(props.map).toEqual({
      type: 'object',
      additionalProperties: false,
      description: '{additionalProperties: {"type":"number"}}',
    });
  });

  it('Gemini: numeric and item bounds stay, string lengths and patterns move, const becomes enum', () => {
    const t = translateSchema(z.toJSONSchema(person) as Record<string, unknown>, GEMINI_SCHEMA);
    const props = t.schema.properties as Record<string, Record<string, unknown>>;
    expect(props.age).toMatchObject({ type: 'integer', minimum: 1, maximum: 120 });
    expect(props.tags).toMatchObject({ minItems: 2, maxItems: 5 });
    expect(props.name!.description).toBe('Full name\n\n{minLength: 2, maxLength: 40}');
    expect(props.kind).toEqual({ type: 'string', enum: ['person'] });
    expect((props.address!.properties as Record<string, unknown>).zip).toEqual({
      type: 'string',
      description: '{pattern: "^\\\\d{5}$"}',
    });
    expect(t.schema.additionalProperties).toBe(false); // zod's own, accepted as it is
  });

  it('Gemini: a $ref with sibling keywords is wrapped so the reference stands alone', () => {
    const t = translateSchema(
      {
        type: 'object',
        $defs: { P: { type: 'string' } },
        properties: { p: { $ref: '#/$defs/P', description: 'a p' } },
      },
      GEMINI_SCHEMA,
    );
    expect((t.schema.properties as Record<string, unknown>).p).toEqual({
      description: 'a p',
      anyOf: [{ $ref: '#/$defs/P' }],
    });
  });
});
