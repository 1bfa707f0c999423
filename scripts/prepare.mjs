// Run by `npm start` and `npm test` (prestart/pretest): install what is missing, build what is stale.
// Uses only Node's standard library so it works on a fresh clone before `npm install`.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

const lockfile = join(root, 'package-lock.json');
const installedMarker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installedMarker) || statSync(lockfile).mtimeMs > statSync(installedMarker).mtimeMs) {
  console.log('switchyard: installing dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
}

const builtMarker = join(root, 'dist', 'cli.js');
const sourceTime = Math.max(newestMtime(join(root, 'src')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (!existsSync(builtMarker) || sourceTime > statSync(builtMarker).mtimeMs) {
  console.log('switchyard: building (tsc)…');
  run('npx tsc -p tsconfig.build.json');
}
