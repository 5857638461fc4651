/**
 * Jest global setup for the k8s project: makes sure the local API server runs (building it the first time) and
 * exports KUBECONFIG, which the test workers inherit.
 */
import { clusterUp } from '../../../scripts/cluster/server.ts';

export default async function globalSetup(): Promise<void> {
  const cluster = await clusterUp();
  process.env.KUBECONFIG = cluster.kubeconfig;
  // Tell the teardown whether this run owns the server: one that was already running is left alone.
  if (cluster.startedNow) process.env.SWITCHBOARD_CLUSTER_STARTED_BY_TESTS = String(cluster.pid);
}
