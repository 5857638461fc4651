/** Time in milliseconds. Every decision takes a Clock so tests can run in virtual time. */
export interface Clock {
  now(): number;
}

/** A random source returning numbers in [0, 1), like Math.random. */
export type Rng = () => number;

export const systemClock: Clock = { now: () => performance.timeOrigin + performance.now() };

export const systemRng: Rng = Math.random;

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

/** Deterministic random source (mulberry32) for tests and simulations. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
