/** `npm run cluster [-- --instances N]`: the same as `switchyard cluster` (src/cluster/command.ts). */
import { clusterCommand } from './command.js';

await clusterCommand(process.argv.slice(2));
