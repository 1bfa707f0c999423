/**
 * `switchyard cluster` (and `npm run cluster`): the local multi-instance setup (src/cluster/local.ts)
 * for people to try: two simulated providers, a private redis-server, N gateway instances (default 3)
 * sharing state through it and HAProxy in front. Prints where to look; SIGINT/SIGTERM stop everything
 * it started, then the command exits 0.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.js';
import { startLocalCluster } from './local.js';

export const CLUSTER_MAX_INSTANCES = 16;

function instancesOption(value: string | undefined): number {
  if (value === undefined) return 3;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > CLUSTER_MAX_INSTANCES)
    throw new ConfigError([`--instances: expected 1-${CLUSTER_MAX_INSTANCES}, got "${value}"`]);
  return n;
}

export async function clusterCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { instances: { type: 'string' } } });
  const instances = instancesOption(values.instances);
  const cluster = await startLocalCluster({
    instances,
    logLevel: 'info',
    onOutput: (i, text) => {
      for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`[instance ${i}] ${line}\n`);
    },
  });
  const lines = [
    '',
    `switchyard cluster: ${instances} gateway instance${instances === 1 ? '' : 's'} sharing state through Redis, behind HAProxy`,
    '',
    `  load balancer        ${cluster.url}/v1   (OpenAI base URL, model "m")`,
    ...cluster.instances.map((u, i) => `  instance ${String(i + 1).padEnd(12)}${u}/v1/switchyard/state`),
    `  Redis (private)      ${cluster.redis.url}   keys under ${cluster.prefix}:*`,
    `  providers            primary ${cluster.primary.url}, backup ${cluster.backup.url}`,
    '',
    'Try it:',
    `  curl -s ${cluster.url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"m","messages":[{"role":"user","content":"Hello"}]}'`,
    'Fail the primary (503s) and send a few requests to instance 1 only:',
    `  curl -s ${cluster.primary.url}/_sim/schedule -H 'content-type: application/json' \\`,
    `    -d '{"model":"model-a","phases":[{"durationMs":60000,"fault":{"kind":"status","status":503}}]}'`,
    'then every instance shows primary/model-a open (shared through Redis):',
    ...cluster.instances.map((u) => `  curl -s ${u}/v1/switchyard/status`),
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void cluster.close().then(() => {
      process.stdout.write('switchyard cluster: stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
