/**
 * The attempt loop of the reference routers (the naive baselines and the oracle), which do not run the product's
 * request path: up to 1 + `retries` attempts, each on a provider the router chooses among those not yet tried, a
 * failure of any kind (5xx, refused, 429, timeout) retried at once on another. No breaker, no cool-down, no retry
 * budget: that is how the textbook routers are written, and the oracle needs none of them.
 */
import { expectedCostUsd } from '../../sidecar/balancer/strategies/expected-cost.ts';
import type { Answer } from './provider-model.ts';
import type { SimRequest, World } from './world.ts';

export interface AttemptEnd {
  readonly provider: string;
  readonly ok: boolean;
  /** From sending to the answer (or the timeout). */
  readonly latencyMs: number;
  readonly answer: Answer['kind'] | 'timeout';
}

export interface DirectRouterHooks {
  /** The provider for the next attempt, or undefined to give up; `tried` holds those already tried. */
  choose(tried: ReadonlySet<string>, now: number): string | undefined;
  started?(provider: string): void;
  ended?(end: AttemptEnd): void;
}

export function runDirectAttempts(
  world: World,
  request: SimRequest,
  retries: number,
  timeoutMs: number,
  hooks: DirectRouterHooks,
): void {
  world.metrics.requested();
  const tried = new Set<string>();
  const attempt = (n: number): void => {
    if (n > retries + 1) return;
    const sentAt = world.scheduler.now;
    const name = hooks.choose(tried, sentAt);
    if (name === undefined) return;
    const sim = world.providers.get(name);
    if (sim === undefined) throw new Error(`no simulated provider ${name}`);
    hooks.started?.(name);
    const answer = sim.answer(sentAt, world.rng, request.tokens);
    const timedOut = answer.afterMs > timeoutMs;
    world.scheduler.setTimer(timedOut ? timeoutMs : answer.afterMs, () => {
      const now = world.scheduler.now;
      const ok = !timedOut && answer.kind === 'ok';
      hooks.ended?.({
        provider: name,
        ok,
        latencyMs: now - sentAt,
        answer: timedOut ? 'timeout' : answer.kind,
      });
      if (ok) {
        world.metrics.served(
          now - request.receivedAt,
          expectedCostUsd(sim.stateAt(now).price, request.tokens),
        );
        return;
      }
      tried.add(name);
      attempt(n + 1);
    });
  };
  attempt(1);
}
