import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instanceOf } from './instance.js';

describe('schema instances', () => {
  it('satisfies zod schemas with bounds, formats, enums, unions and nesting', () => {
    const schema = z.object({
      id: z.uuid(),
      email: z.email(),
      when: z.iso.datetime(),
      count: z.number().int().min(5).max(9).multipleOf(3),
      ratio: z.number().gt(0).lt(1),
      code: z.string().regex(/^[a-z ]+$/),
      short: z.string().max(4),
      long: z.string().min(50),
      kind: z.enum(['a', 'b']),
      fixed: z.literal(7),
      maybe: z.string().nullable(),
      either: z.union([z.number().min(3), z.string()]),
      list: z
        .array(z.object({ n: z.number().int().positive() }))
        .min(3)
        .max(3),
      optional: z.boolean().optional(),
    });
    const value = instanceOf(z.toJSONSchema(schema));
    expect(schema.parse(value)).toBeTruthy();
    expect(instanceOf(z.toJSONSchema(schema))).toEqual(value); // deterministic
  });

  it('follows local $refs and ends recursive schemas', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const Node: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(Node);
      },
    });
    expect(Node.parse(instanceOf(z.toJSONSchema(Node)))).toBeTruthy();
  });

  it("reads Gemini's OpenAPI schema (upper-case types, int64 fields as strings)", () => {
    expect(
      instanceOf({
        type: 'OBJECT',
        properties: {
          n: { type: 'INTEGER', minimum: 2 },
          xs: { type: 'ARRAY', minItems: '2', items: { type: 'STRING' } },
        },
      }),
    ).toEqual({ n: 2, xs: ['switchyard routes every', expect.any(String)] });
  });

  it('applies constraints a description states, as a model reads them', () => {
    expect(instanceOf({ type: 'integer', description: 'Age\n\n{minimum: 18, maximum: 99}' })).toBe(18);
    expect(
      instanceOf({ type: 'array', items: { type: 'integer' }, description: '{minItems: 3}' }),
    ).toHaveLength(3);
  });
});
