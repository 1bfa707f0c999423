/**
 * The nesting bound of a parsed request body. JSON.parse takes any depth, but everything after it that
 * recurses (JSON.stringify of the upstream body, schema translation) overflows the stack on a body a
 * few KB long nested thousands of levels deep. Client bodies nest arbitrarily wherever they carry free
 * JSON: tool parameter schemas, `response_format` schemas, content parts, and any extra field the
 * OpenAI-compatible protocols pass through, so the whole body is checked, once, right after parsing.
 *
 * Linear in the number of objects and arrays (strings and numbers cost one `typeof`), stops at the
 * first container past the limit, allocates nothing unless the body is refused, and recurses at most
 * `limit` levels itself.
 */

/** The path (e.g. `tools[0].function.parameters`) of the first value nested deeper than `limit`, or undefined. */
export function tooDeepAt(body: unknown, limit: number): string | undefined {
  const path: (string | number)[] = [];
  if (!deeper(body, limit, path)) return undefined;
  let text = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i]!;
    text += typeof key === 'number' ? `[${key}]` : text ? `.${key}` : key;
  }
  return text;
}

/** Whether `value` holds a container more than `levelsLeft` levels down; on true, `path` holds the way there, innermost first. */
function deeper(value: unknown, levelsLeft: number, path: (string | number)[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levelsLeft === 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (deeper(value[i], levelsLeft - 1, path)) {
        path.push(i);
        return true;
      }
    }
    return false;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    if (deeper(object[key], levelsLeft - 1, path)) {
      path.push(key);
      return true;
    }
  }
  return false;
}
