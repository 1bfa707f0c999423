/** What a built entry point of dist/ reaches through static imports (dynamic ones load on use). */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface ImportGraph {
  /** dist/ files reached, relative to dist/ (e.g. `providers/registry.js`). */
  files: Set<string>;
  /** Packages imported by any of them (`undici`, `node:http`, `@opentelemetry/api` as `@opentelemetry`). */
  packages: Set<string>;
}

export function staticImports(dist: string, entry: string): ImportGraph {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(
      /^(?:import|export)\s[^;]*?from\s+'([^']+)';|^import\s+'([^']+)';/gm,
    )) {
      if (!spec) continue;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else packages.add(spec.split('/')[0]!);
    }
  };
  visit(join(dist, entry));
  return { files: new Set([...seen].map((file) => relative(dist, file))), packages };
}
