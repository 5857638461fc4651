import type { Candidate, PickContext, Strategy } from '../types.ts';
import { isEligible } from './eligible.ts';
import { expectedCostUsd } from './expected-cost.ts';
import { SmoothWeightedPicker } from './smooth-weighted-picker.ts';

export interface CostBasedOptions {
  /** Candidates whose expected cost is within this fraction above the cheapest count as equally cheap. */
  readonly tieTolerance?: number;
  /** Candidates failing more than this share are skipped while any candidate at or below it remains. */
  readonly maxErrorRate?: number;
}

/**
 * The cheapest target for this request, by its model's input and output prices and the request's token counts
 * (so an input-heavy and an output-heavy request can go to different models). Among healthy targets only:
 * those with an error rate above `maxErrorRate` are left out while a healthier one exists. Targets within
 * `tieTolerance` of the cheapest share traffic by smooth weighted round-robin on their weights.
 *
 * A target without a price ranks after every priced one: nothing shows it to be cheap. It is picked only when no
 * priced target is left, and then unpriced targets share traffic by weight.
 */
export class CostBased implements Strategy {
  readonly name = 'cost-based' as const;
  private readonly tieTolerance: number;
  private readonly maxErrorRate: number;
  private readonly picker = new SmoothWeightedPicker();

  constructor(options: CostBasedOptions = {}) {
    this.tieTolerance = options.tieTolerance ?? 0.01;
    this.maxErrorRate = options.maxErrorRate ?? 0.5;
  }

  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined {
    const healthyOnly = candidates.some((c) => isEligible(c) && this.isHealthy(c));
    const considered = (c: Candidate) => isEligible(c) && (!healthyOnly || this.isHealthy(c));

    let cheapest = Infinity;
    for (const c of candidates) {
      if (c.price !== undefined && considered(c))
        cheapest = Math.min(cheapest, expectedCostUsd(c.price, ctx.tokens));
    }
    const anyPriced = cheapest !== Infinity;
    const limit = cheapest * (1 + this.tieTolerance);
    return this.picker.pick(candidates, (c) => {
      if (!considered(c)) return 0;
      if (!anyPriced) return c.weight;
      return c.price !== undefined && expectedCostUsd(c.price, ctx.tokens) <= limit ? c.weight : 0;
    });
  }

  private isHealthy(candidate: Candidate): boolean {
    return candidate.errorRate <= this.maxErrorRate;
  }
}
