/**
 * Proto-JSON field checks the way Google's front end reports them: every unknown name at once
 * ("Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': Cannot find field."),
 * mistyped values ("Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""). Field
 * names are accepted in lowerCamelCase and snake_case, as proto JSON parsing does; paths in messages
 * are snake_case.
 */
import { badRequest } from './gemini-errors.js';

export type Json = Record<string, unknown>;
export type ProtoType = 'TYPE_STRING' | 'TYPE_FLOAT' | 'TYPE_INT32' | 'TYPE_BOOL' | 'object' | 'list' | 'any';

export const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (name: string): string => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Collects unknown-name violations across the whole request, thrown together by `flush`. */
export class FieldReport {
  private unknown: Array<{ field?: string; description: string }> = [];

  /** Rewrites snake_case keys to camelCase in place and records names not in `known`. */
  fields(value: Json, known: readonly string[], path: string): Json {
    for (const key of Object.keys(value)) {
      const name = camel(key);
      if (!known.includes(name)) {
        const at = path === '' ? '' : ` at '${path}'`;
        const description = `Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`;
        this.unknown.push(path === '' ? { description } : { field: path, description });
      } else if (name !== key) {
        value[name] = value[key];
        delete value[key];
      }
    }
    return value;
  }

  flush(): void {
    if (this.unknown.length > 0) throw badRequest(this.unknown);
  }
}

function matches(value: unknown, type: ProtoType): boolean {
  switch (type) {
    case 'TYPE_STRING':
      return typeof value === 'string';
    case 'TYPE_FLOAT':
      return typeof value === 'number';
    case 'TYPE_INT32':
      return typeof value === 'number' && Number.isInteger(value);
    case 'TYPE_BOOL':
      return typeof value === 'boolean';
    case 'object':
      return isJson(value);
    case 'list':
      return Array.isArray(value);
    case 'any':
      return true;
  }
}

/** Checks the type of `value` at `path` (snake_case), throwing the proto-JSON "Invalid value" error. */
export function typed<T>(value: unknown, type: ProtoType, path: string): T {
  if (value === undefined || value === null || matches(value, type)) return value as T;
  const kind = type === 'list' || type === 'object' ? 'TYPE_MESSAGE' : type;
  const description = `Invalid value at '${path}' (${kind}), ${JSON.stringify(value)}`;
  throw badRequest([{ field: path, description }]);
}
