#!/usr/bin/env node
/** The `switchyard` command. */
import { parseArgs } from 'node:util';
import { ConfigError } from './config/config-error.js';
import { loadConfigIsolated } from './config/load-isolated.js';
import { describeConfig } from './config/describe.js';
import { announce, describeListenError, drainOnSignal, version } from './lifecycle.js';
import { startGateway } from './main.js';

const USAGE = `Usage: switchyard <command> [options]

Commands:
  start     Run the gateway. Without --config: the built-in demo (simulated providers, live demo).
            --demo          the built-in demo, even when SWITCHYARD_CONFIG is set (npm start)
            --config FILE   switchyard.yaml (or SWITCHYARD_CONFIG)
            --port N        listen port (overrides server.port and SWITCHYARD_PORT)
            --host H        listen address (overrides server.host and SWITCHYARD_HOST)
            SIGTERM/SIGINT drain it (up to server.drainMs); a second signal stops at once.
  check     Validate a config and print the resolved routes; exits 1 on errors.
            --config FILE
  simulate  Run simulated providers (OpenAI, Anthropic, Gemini wire formats) with scriptable faults.
            --port N (default 4010)  --host H  --config FILE
  drill     Run a scripted incident against simulated providers under steady load and report.
            --scenario NAME|all  --rps N  --duration S  --out DIR (default docs/drill)  --quiet
            --first-token-ms N (default 800)  --hedge-ms N (hedge after N ms, caps raised)
            --slack-webhook URL / --webhook URL (send the gateway's alerts there during the run)
  stats     Print the request store's aggregates from a running gateway (switchyard stats --help).
            --url URL  --key KEY  --window 1h  --by route|target|model|key  --bucket 1m
            --store FILE|URL  read the store itself (no gateway), e.g. .switchyard/requests.db
            --request ID  one stored request: attempts, trace, timings, captured text
  keys      Manage virtual keys through a running gateway's admin API (switchyard keys --help).
            create|list|get|update|revoke|rotate  --url URL  --admin-key KEY (or SWITCHYARD_ADMIN_KEY)
  cluster   Start a local multi-instance setup: simulated providers, a private redis-server, N
            gateway instances sharing state, HAProxy in front (docs/deployment.md); Ctrl-C stops it.
            --instances N (default 3)   needs redis-server and haproxy
  help      This text.
`;

function portOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new ConfigError([`--port: expected 0-65535, got "${value}"`]);
  return Number(value);
}

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      demo: { type: 'boolean' },
    },
  });
  if (values.demo && values.config) throw new ConfigError(['--demo and --config: give one or the other']);
  const configPath = values.demo ? undefined : (values.config ?? process.env.SWITCHYARD_CONFIG);
  const port = portOption(values.port);
  const overrides = {
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
  };
  if (!configPath) {
    const { runDemo } = await import('./demo/run-demo.js');
    await runDemo({ overrides });
    return;
  }
  const config = await loadConfigIsolated({ path: configPath }, { overrides });
  const gateway = await startGateway(config);
  announce(config, gateway);
  drainOnSignal(gateway);
}

async function check(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const path = values.config ?? process.env.SWITCHYARD_CONFIG;
  if (!path) throw new ConfigError(['--config: give the file to check']);
  const { loadConfigFile } = await import('./config/load.js');
  const config = loadConfigFile(path);
  console.log(`${path}: OK\n`);
  console.log(describeConfig(config));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'start':
      return start(rest);
    case 'check':
      return check(rest);
    case 'simulate': {
      const { simulateCommand } = await import('./simulator/cli.js');
      return simulateCommand(rest);
    }
    case 'drill': {
      const { drillCommand } = await import('./drill/index.js');
      return drillCommand(rest);
    }
    case 'stats': {
      const { statsCommand } = await import('./store/stats-command.js');
      return statsCommand(rest);
    }
    case 'keys': {
      const { keysCommand, KEYS_USAGE } = await import('./keys/keys-command.js');
      if (rest[0] === undefined || rest[0] === '--help' || rest[0] === 'help') {
        console.log(KEYS_USAGE);
        return;
      }
      return keysCommand(rest);
    }
    case 'cluster': {
      const { clusterCommand } = await import('./cluster/command.js');
      return clusterCommand(rest);
    }
    case '--version':
    case 'version':
      console.log(version());
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`switchyard: unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  const listen = describeListenError(error);
  if (error instanceof ConfigError) {
    console.error(`switchyard: ${error.message}`);
  } else if (listen) {
    console.error(`switchyard: ${listen}`);
  } else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    // The drill's own usage errors already carry its usage text.
    const usage = error.code === 'ERR_PARSE_ARGS_DRILL' ? '' : `\n\n${USAGE}`;
    console.error(`switchyard: ${error.message}${usage}`);
  } else {
    console.error('switchyard:', error);
  }
  process.exitCode = 1;
});
