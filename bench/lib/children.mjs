/** The bench's server processes: each in its own child, ready when it says so over IPC. */
import { clearTimeout, setTimeout } from 'node:timers';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const serversDir = fileURLToPath(new URL('../servers/', import.meta.url));

export const hasTaskset = () => spawnSync('taskset', ['-p', String(process.pid)]).status === 0;

/** Pins every thread of `pid` to the given CPU list (e.g. "1" or "0,1"). */
export function pin(pid, cpus) {
  const done = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (done.status !== 0) throw new Error(`taskset failed for ${pid}: ${done.stderr}`);
}

/**
 * Starts servers/<name>.mjs in a child process. Resolves once it is listening, with its URL and
 * pid, `request(message)` (IPC request/response) and `stop()` (graceful: profiles get written).
 */
export function startChild(name, args = [], { cpus, nodeArgs = [], env = {} } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, `${serversDir}${name}.mjs`, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  let nextId = 0;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited early (code ${code})`)));
    child.on('message', (message) => {
      if (message.type === 'reply') {
        pending.get(message.id)?.(message.reply);
        pending.delete(message.id);
        return;
      }
      if (message.type !== 'ready') return;
      if (cpus) pin(child.pid, cpus);
      resolve({
        name,
        url: message.url,
        pid: child.pid,
        request(body) {
          const id = ++nextId;
          return new Promise((done) => {
            pending.set(id, done);
            child.send({ ...body, id });
          });
        },
        stop() {
          if (child.exitCode !== null) return Promise.resolve();
          return new Promise((done) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.send({ type: 'stop' });
          });
        },
      });
    });
  });
}
