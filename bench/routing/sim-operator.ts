/**
 * The operator of one pool in virtual time: the real control loop (`PoolLoop`: reconcile, a fleet round every
 * `roundMs` — reports → fleet aggregate → cool-downs, reweighting, quota shares → push on change — and an
 * immediate push when a report brings a new cool-down) and the real sync hub (debounced pushes, reports kept for
 * the rounds' window). Only the streams are simulated (see product-sidecar.ts); status writes go nowhere.
 */
import { silentLogger } from '../../core/log.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import { REPORT_RETENTION_MS } from '../../operator/control/fleet-round.ts';
import { PoolLoop } from '../../operator/control/pool-loop.ts';
import { SyncHub, type PoolKey } from '../../operator/sync/sync-hub.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';

export const POOL_KEY: PoolKey = { namespace: 'bench', name: 'chat' };
/** The operator's round in a cluster (operator/controller/pool-controller.ts). */
export const ROUND_MS = 5_000;

export class SimOperator {
  readonly hub: SyncHub;
  readonly #loop: PoolLoop;
  #generation = 1;

  constructor(scheduler: VirtualScheduler, spec: ProviderPoolSpec) {
    this.hub = new SyncHub({
      scheduler,
      reportRetentionMs: REPORT_RETENTION_MS,
      onReport: (_key, report) => this.#loop.onReport(report),
    });
    this.#loop = new PoolLoop(this.#object(spec), new Map(), {
      hub: this.hub,
      scheduler,
      logger: silentLogger,
      writeStatus: () => Promise.resolve(true),
      roundMs: ROUND_MS,
      statusIntervalMs: 10_000,
    });
  }

  /** The user edited the pool (e.g. a price): a new generation, reconciled and pushed as in a cluster. */
  update(spec: ProviderPoolSpec): void {
    this.#generation++;
    this.#loop.update(this.#object(spec), new Map());
  }

  stop(): void {
    this.#loop.stop();
  }

  #object(spec: ProviderPoolSpec) {
    return {
      metadata: { ...POOL_KEY, generation: this.#generation },
      spec: JSON.parse(JSON.stringify(spec)) as unknown,
    };
  }
}
