import type { BreakerSpec } from '../../api/v1alpha1/providerpool.ts';
import type { Rng } from '../../core/clock.ts';
import { CircuitBreaker, type BreakerTransition } from '../breaker/circuit-breaker.ts';
import { CoolDown } from '../retry/cooldown.ts';
import type { FleetSlowdown } from './fleet-slowdown.ts';
import { SlowdownProbe } from './slowdown-probe.ts';

/**
 * The health of one (provider, logical model) target, next to its provider's: faults that live in one model (a
 * 429 rate limit, a model's 5xx, a model not found, a slow or cut answer) open this breaker and start this
 * cool-down, so the provider's other models keep serving; faults of the provider itself (credentials, transport,
 * the account's quota) go to the provider's (judge-outcome.ts decides which). Kept by the ProviderRuntime, so it
 * outlives config reloads as the provider's own state does. No active probes: a target's breaker half-opens when
 * its backoff ends and live requests test it (a provider's free probe endpoint says nothing about one model).
 */
export class TargetHealth {
  readonly breaker: CircuitBreaker;
  readonly cooldown = new CoolDown();
  /** The slowdown other sidecars see at this target, from the operator's last snapshot (fleet-slowdown.ts). */
  fleetSlowdown: FleetSlowdown | undefined = undefined;
  /** Probes of the target while the fleet holds it slow (slowdown-probe.ts). */
  readonly slowdownProbe = new SlowdownProbe();
  /** The latest recovery of a fleet slowdown this sidecar applied (its `at`), so each is applied once. */
  recoveredAt = -Infinity;

  constructor(init: {
    readonly now: number;
    readonly settings: BreakerSpec;
    readonly rng: Rng;
    readonly onTransition: (t: BreakerTransition) => void;
  }) {
    this.breaker = new CircuitBreaker({
      now: init.now,
      settings: init.settings,
      rng: init.rng,
      onTransition: init.onTransition,
    });
  }
}
