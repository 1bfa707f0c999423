/** Summarises a V8 .cpuprofile: self time per function and per area (node internals, undici, src/…). */
import { readFileSync } from 'node:fs';

function area(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const own = /\/dist\/([^/]+)\//.exec(url);
  if (own) return `switchyard ${own[1]}/`;
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const name = callFrame.functionName || '(anonymous)';
    const where = callFrame.url
      ? `${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}`
      : '';
    const key = `${name} ${where}`;
    functions.set(key, { name, where, us: (functions.get(key)?.us ?? 0) + us });
    const a = name.startsWith('(') ? name : area(callFrame.url);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const rank = (m) => [...m].sort((x, y) => y[1] - x[1]);
  return {
    busyMs: total / 1000,
    idleMs: idle / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ ...f, share: f.us / total })),
    areas: rank(areas).map(([name, us]) => ({ name, us, share: us / total })),
  };
}
