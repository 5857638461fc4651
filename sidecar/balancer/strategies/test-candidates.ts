// Shared builders for the strategy tests.
import { seededRng, type Rng } from '../../../core/clock.ts';
import { TargetStats } from '../target-stats.ts';
import type { Candidate, PickContext, Strategy } from '../types.ts';

export function candidate(key: string, fields: Partial<Omit<Candidate, 'key'>> = {}): Candidate {
  return {
    key,
    provider: key,
    weight: 1,
    inFlight: 0,
    latencyMs: undefined,
    errorRate: 0,
    slowdown: 1,
    probing: false,
    price: undefined,
    ...fields,
  };
}

export function pickContext(fields: Partial<PickContext> = {}): PickContext {
  return { now: 0, rng: seededRng(1), tokens: { input: 1_000, output: 500 }, ...fields };
}

/** The keys picked by `picks` successive picks over the same candidates. */
export function pickSequence(
  strategy: Strategy,
  candidates: readonly Candidate[],
  picks: number,
  ctx: PickContext = pickContext(),
): string[] {
  return Array.from({ length: picks }, () => strategy.pick(candidates, ctx)?.key ?? '-');
}

/** Share of picks per key over `picks` successive picks (keys never picked are absent). */
export function pickShares(
  strategy: Strategy,
  candidates: readonly Candidate[],
  picks: number,
  ctx: PickContext = pickContext(),
): Record<string, number> {
  return sharesOf(pickSequence(strategy, candidates, picks, ctx));
}

export function sharesOf(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([key, count]) => [key, count / keys.length]));
}

/**
 * Keeps `concurrency` requests in flight: each pick adds one to the picked candidate's in-flight count, and once
 * the limit is reached a uniformly random request in flight completes before the next pick. Returns the
 * share of picks per key.
 */
export function sharesUnderConcurrency(
  strategy: Strategy,
  candidates: readonly Candidate[],
  options: { picks: number; concurrency: number; rng?: Rng },
): Record<string, number> {
  const rng = options.rng ?? seededRng(7);
  const inFlight = new Map(candidates.map((c) => [c.key, 0]));
  const running: string[] = [];
  const picked: string[] = [];
  for (let i = 0; i < options.picks; i++) {
    const view = candidates.map((c) => ({ ...c, inFlight: inFlight.get(c.key) ?? 0 }));
    const choice = strategy.pick(view, pickContext({ rng }));
    if (choice === undefined) throw new Error('no pick');
    picked.push(choice.key);
    running.push(choice.key);
    inFlight.set(choice.key, (inFlight.get(choice.key) ?? 0) + 1);
    while (running.length > options.concurrency) {
      const done = running.splice(Math.floor(rng() * running.length), 1)[0];
      if (done !== undefined) inFlight.set(done, (inFlight.get(done) ?? 0) - 1);
    }
  }
  return sharesOf(picked);
}

export interface SimulatedTarget {
  readonly key: string;
  readonly weight?: number;
  /** How the target answers a request sent at `now`. */
  readonly respond: (now: number) => { ok: boolean; latencyMs: number };
}

/**
 * Sends one request every `stepMs` from `fromMs` to `toMs` (virtual time), each answered at once with the
 * target's latency recorded as its sample, and feeds the outcomes into `stats` (kept by the caller across
 * phases). Returns the share of picks per key in that span.
 */
export function simulateTraffic(
  strategy: Strategy,
  targets: readonly SimulatedTarget[],
  stats: Map<string, TargetStats>,
  span: { fromMs: number; toMs: number; stepMs: number },
): Record<string, number> {
  const picked: string[] = [];
  const rng = seededRng(13);
  for (let now = span.fromMs; now < span.toMs; now += span.stepMs) {
    const candidates = targets.map((t) => {
      let s = stats.get(t.key);
      if (s === undefined) {
        s = new TargetStats();
        stats.set(t.key, s);
      }
      return candidate(t.key, { weight: t.weight ?? 1, ...s.load(now) });
    });
    const choice = strategy.pick(candidates, pickContext({ now, rng }));
    const target = targets.find((t) => t.key === choice?.key);
    const s = stats.get(choice?.key ?? '');
    if (target === undefined || s === undefined) throw new Error('no pick');
    picked.push(target.key);
    s.start(now).end(now, target.respond(now));
  }
  return sharesOf(picked);
}
