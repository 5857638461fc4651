import type { Candidate, PickContext, Strategy } from '../types.ts';
import { eligibleCandidates, lowestMeasuredLatency } from './eligible.ts';
import { pickLighterOfTwo } from './power-of-two-choices.ts';

export interface ResponseTimeOptions {
  /**
   * Floor on every latency estimate (ms), so a target whose estimate reads about 0 still costs more with every
   * request put in flight on it instead of taking everything.
   */
  readonly minLatencyMs?: number;
}

/**
 * Power of two choices on peak-EWMA cost, latency × (in flight + 1) / weight (as linkerd and tower): the faster
 * target wins while idle, and as requests pile up on it the cost rises until the slower one is cheaper, so
 * concurrent load spills over instead of herding onto the fastest.
 *
 * A candidate not yet measured is assumed as fast as the fastest measured one: it is explored (it wins ties and
 * takes load like the best), never starved and never preferred over a measured target, and once its first
 * response is in it competes on its own number. When no candidate is measured the assumed latency is the same
 * for all, so only in-flight load per weight decides and no default latency is needed.
 */
export class ResponseTime implements Strategy {
  readonly name = 'response-time' as const;
  private readonly minLatencyMs: number;

  constructor(options: ResponseTimeOptions = {}) {
    this.minLatencyMs = options.minLatencyMs ?? 1;
  }

  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined {
    const eligible = eligibleCandidates(candidates);
    const assumedLatency = lowestMeasuredLatency(eligible) ?? this.minLatencyMs;
    return pickLighterOfTwo(eligible, ctx.rng, (candidate) => {
      const latency = Math.max(candidate.latencyMs ?? assumedLatency, this.minLatencyMs);
      return (latency * (candidate.inFlight + 1)) / candidate.weight;
    });
  }
}
