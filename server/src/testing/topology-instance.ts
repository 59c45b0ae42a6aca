import '../heap';
import { runProcess } from '../run';
import { entraStandInFetch } from './entra-stand-in';

/**
 * One MREG instance of the topology tests: exactly main.ts (settings from the MREG_ environment,
 * SIGTERM drains and stops), except that sign-in's requests to Entra ID go to the stand-in named by
 * TOPOLOGY_ENTRA_URL (not an MREG_ variable: the server itself never reads it).
 */
const standIn = process.env.TOPOLOGY_ENTRA_URL;
if (!standIn) {
  process.stderr.write('TOPOLOGY_ENTRA_URL is missing: the address of the Entra ID stand-in (testing/entra-stand-in.ts)\n');
  process.exit(1);
}
await runProcess({ outbound: entraStandInFetch(standIn) });
