// Child process: the simulated upstream every configuration talks to.
// argv[2]: JSON of the default ModelBehavior. Messages: { type: 'behavior', behavior } → setBehavior('*').
import { startSimulator } from '../../dist/simulator/index.js';
import { serve } from './common.mjs';

serve(async () => {
  const sim = await startSimulator({ defaultBehavior: JSON.parse(process.argv[2] ?? '{}') });
  return {
    url: sim.url,
    onMessage: (message) => {
      if (message.type === 'behavior') sim.setBehavior('*', message.behavior);
      return true;
    },
    close: () => sim.close(),
  };
});
