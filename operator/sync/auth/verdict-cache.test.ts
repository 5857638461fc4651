import { describe, expect, test } from '@jest/globals';
import {
  VerdictCache,
  tokenDigest,
  verdictExpiresAt,
  type CachePolicy,
  type ExpiryFacts,
} from './verdict-cache.ts';

const policy: CachePolicy = { acceptedTtlMs: 30_000, refusedTtlMs: 5_000, maxEntries: 3 };

describe('how long a verdict is reused', () => {
  test.each<[string, ExpiryFacts, number]>([
    ['an accepted token for the accepted TTL', { reviewedAt: 1_000, accepted: true }, 31_000],
    ['a refused token for the shorter refused TTL', { reviewedAt: 1_000, accepted: false }, 6_000],
    [
      "never past the token's own expiry",
      { reviewedAt: 1_000, accepted: true, tokenExpiresAt: 11_000 },
      11_000,
    ],
    [
      'the full TTL when the token lives longer',
      { reviewedAt: 1_000, accepted: true, tokenExpiresAt: 3_600_000 },
      31_000,
    ],
    [
      'not at all for a token already expired',
      { reviewedAt: 1_000, accepted: true, tokenExpiresAt: 500 },
      500,
    ],
  ])('%s', (_sentence, facts, expected) => {
    expect(verdictExpiresAt(facts, policy)).toBe(expected);
  });
});

describe('the verdict cache', () => {
  test('keys by a SHA-256 digest that does not contain the token', () => {
    const token = 'header.payload.signature';
    expect(tokenDigest(token)).toHaveLength(43);
    expect(tokenDigest(token)).not.toContain('signature');
    expect(tokenDigest(token)).toBe(tokenDigest(token));
    expect(tokenDigest(token)).not.toBe(tokenDigest(`${token}x`));
  });

  test('returns a verdict until it expires, then forgets it', () => {
    const cache = new VerdictCache<string>(3);
    cache.set('a', 'yes', 100, 0);
    expect(cache.get('a', 99)).toBe('yes');
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('does not keep a verdict that is already stale', () => {
    const cache = new VerdictCache<string>(3);
    cache.set('a', 'yes', 10, 10);
    expect(cache.get('a', 10)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('evicts the least recently used verdict when full', () => {
    const cache = new VerdictCache<string>(3);
    for (const key of ['a', 'b', 'c']) cache.set(key, key, 1_000, 0);
    expect(cache.get('a', 1)).toBe('a');
    cache.set('d', 'd', 1_000, 2);
    expect(cache.size).toBe(3);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => cache.get(k, 3))).toEqual(['a', 'c', 'd']);
  });

  test('replaces the verdict of a key set again', () => {
    const cache = new VerdictCache<string>(3);
    cache.set('a', 'no', 1_000, 0);
    cache.set('a', 'yes', 1_000, 0);
    expect(cache.get('a', 1)).toBe('yes');
    expect(cache.size).toBe(1);
  });
});
