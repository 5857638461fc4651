import { describe, expect, it } from '@jest/globals';
import { splitQuota } from './split-quota.ts';

const demand = (entries: Record<string, number | undefined>) => new Map(Object.entries(entries));
const sumOf = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const rounded = (m: ReadonlyMap<string, number>) =>
  Object.fromEntries([...m].map(([k, v]) => [k, Math.round(v * 100) / 100]));

describe('splitting a provider quota across sidecars', () => {
  it.each<[string, number, Record<string, number | undefined>, Record<string, number>]>([
    [
      'gives equal shares (minus the 5 % reserve) to sidecars that all want more than the limit',
      1000,
      { a: 900, b: 900 },
      { a: 475, b: 475 },
    ],
    [
      'gives a small consumer what it asks for and the rest to the big ones (max-min fair)',
      1000,
      { small: 50, big1: 2000, big2: 2000 },
      { small: 50, big1: 450, big2: 450 },
    ],
    [
      'shares what nobody asked for equally as headroom when demand is below the limit',
      1000,
      { a: 100, b: 300 },
      { a: 375, b: 575 },
    ],
    [
      'gives newcomers the reserve until they report',
      1000,
      { a: 2000, b: 2000, new1: undefined, new2: undefined },
      { a: 475, b: 475, new1: 25, new2: 25 },
    ],
    ['gives the whole limit to a lone newcomer', 600, { only: undefined }, { only: 600 }],
    ['gives nothing when the limit is 0', 0, { a: 10 }, { a: 0 }],
    ['treats a negative demand as none', 100, { a: -5, b: 500 }, { a: 0, b: 95 }],
  ])('%s', (_name, limit, wants, expected) => {
    const shares = splitQuota(limit, demand(wants));
    expect(rounded(shares)).toEqual(expected);
    expect(sumOf(shares)).toBeLessThanOrEqual(limit + 1e-9);
  });

  it('keeps the fleet within the limit and uses at least 90 % of it under any demand above the limit', () => {
    for (let n = 1; n <= 50; n += 7) {
      const wants = new Map<string, number>();
      for (let i = 0; i < n; i++) wants.set(`s${i}`, ((i * 37) % 11) * 40 + 1);
      const limit = 0.5 * [...wants.values()].reduce((a, b) => a + b, 0);
      const shares = splitQuota(limit, wants);
      expect(sumOf(shares)).toBeLessThanOrEqual(limit + 1e-9);
      expect(sumOf(shares)).toBeGreaterThanOrEqual(0.9 * limit);
      // Max-min fairness: everyone gets at least the lesser of its demand and an equal split.
      const equal = (0.95 * limit) / n;
      for (const [id, share] of shares)
        expect(share).toBeGreaterThanOrEqual(Math.min(wants.get(id) ?? 0, equal) - 1e-9);
    }
  });

  it('follows demand: a sidecar whose demand grows gets a larger share next round', () => {
    const before = splitQuota(1000, demand({ a: 200, b: 2000 }));
    const after = splitQuota(1000, demand({ a: 800, b: 2000 }));
    expect(after.get('a')).toBeGreaterThan(before.get('a') ?? Infinity);
    expect(after.get('a')).toBeCloseTo(475, 6);
  });
});
