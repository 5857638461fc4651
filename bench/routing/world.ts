/**
 * What every router in one run shares: virtual time, the seeded random source, the simulated providers and the
 * client's record. A request is what the app sends: its real token counts (what the provider bills) and the
 * estimate a sidecar makes before sending (input exact, output = max_tokens).
 */
import type { Rng } from '../../core/clock.ts';
import type { ProviderPoolSpec } from '../../api/v1alpha1/providerpool.ts';
import type { SimProvider, Tokens } from './provider-model.ts';
import type { RunMetrics } from './run-metrics.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';

export interface SimRequest {
  readonly receivedAt: number;
  readonly tokens: Tokens;
  readonly estimate: Tokens;
}

export interface World {
  readonly scheduler: VirtualScheduler;
  readonly rng: Rng;
  readonly providers: ReadonlyMap<string, SimProvider>;
  /** The pool as the user wrote it at `t` (a price change is an edit of the manifest). */
  readonly specAt: (t: number) => ProviderPoolSpec;
  readonly metrics: RunMetrics;
  /** One-way delay of the sync channel (operator ⇄ sidecar), drawn per message. */
  readonly syncDelayMs: () => number;
}

/** One app's sidecar (or, for the baselines, one app's in-process router). */
export interface Router {
  handle(request: SimRequest): void;
}
