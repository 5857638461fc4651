import type { Candidate, PickContext, Strategy } from '../types.ts';
import { isEligible } from './eligible.ts';

/**
 * Takes eligible candidates in list order, one after the other, ignoring weights (except that weight 0 drains).
 * The cursor remembers the key last picked, not an index, so the cycle survives targets joining or leaving: it
 * continues after the last pick, or, if that target left, with the one now in its place. The first pick starts
 * at a random position so a fleet of sidecars does not begin in lockstep on the first target.
 */
export class RoundRobin implements Strategy {
  readonly name = 'round-robin' as const;
  private lastKey: string | undefined;
  private lastIndex = 0;

  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    const start = this.startIndex(candidates, ctx);
    for (let step = 0; step < n; step++) {
      const index = (start + step) % n;
      const candidate = candidates[index];
      if (candidate !== undefined && isEligible(candidate)) {
        this.lastKey = candidate.key;
        this.lastIndex = index;
        return candidate;
      }
    }
    return undefined;
  }

  private startIndex(candidates: readonly Candidate[], ctx: PickContext): number {
    if (this.lastKey === undefined) return Math.floor(ctx.rng() * candidates.length);
    const last = candidates.findIndex((c) => c.key === this.lastKey);
    return last >= 0 ? last + 1 : this.lastIndex;
  }
}
