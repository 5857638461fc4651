/**
 * Stops the API server if the global setup started it, so a test run leaves nothing behind; one started with
 * `npm run cluster:up` stays up for the next run. SWITCHBOARD_KEEP_CLUSTER=1 keeps it up in any case.
 */
import { clusterDown } from '../../../scripts/cluster/server.ts';

export default async function globalTeardown(): Promise<void> {
  if (process.env.SWITCHBOARD_CLUSTER_STARTED_BY_TESTS && process.env.SWITCHBOARD_KEEP_CLUSTER !== '1') {
    await clusterDown();
  }
}
