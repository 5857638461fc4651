/**
 * The oracle: an upper reference, not a strategy anyone could run. At every attempt it reads every provider's true
 * state at that instant (outage, latency distribution, error rate, price, room left in the account's rate limit)
 * and picks the best provider that would take the attempt, by the objective the pool asks for
 * (spec.strategy.adaptive.objective):
 *
 * - latency: the least expected time to a success, mean latency ÷ (1 − error rate);
 * - cost: the lowest expected price of this request ÷ (1 − error rate), latency breaking near-ties (within 1 %);
 * - balanced: ½ ln(latency) + ½ ln(price) − ln(1 − error rate).
 *
 * It does not know the outcome of the coin flip of one attempt (a flaky provider's 500 is random); when an attempt
 * fails it retries at once on the next best provider not yet tried, as often as the pool allows.
 */
import type { Objective } from '../../operator/reweight/provider-score.ts';
import { expectedCostUsd } from '../../sidecar/balancer/strategies/expected-cost.ts';
import type { SimProvider, Tokens } from './provider-model.ts';

export function oracleChoice(
  providers: Iterable<SimProvider>,
  objective: Objective,
  t: number,
  tokens: Tokens,
  tried: ReadonlySet<string>,
): string | undefined {
  let best: { name: string; score: number; latency: number } | undefined;
  for (const p of providers) {
    if (tried.has(p.name) || !p.wouldAccept(t)) continue;
    const s = p.stateAt(t);
    const success = 1 - s.errorRate;
    if (success <= 0) continue;
    const latency = (s.latencyMedianMs * Math.exp((s.latencySigma * s.latencySigma) / 2)) / success;
    const cost = expectedCostUsd(s.price, tokens) / success;
    const score =
      objective === 'latency'
        ? latency
        : objective === 'cost'
          ? cost
          : 0.5 * Math.log(latency) + 0.5 * Math.log(Math.max(cost, 1e-12));
    const better =
      best === undefined ||
      (objective === 'cost'
        ? score < best.score * 0.99 || (score <= best.score * 1.01 && latency < best.latency)
        : score < best.score);
    if (better) best = { name: p.name, score, latency };
  }
  return best?.name;
}
