import { describe, expect, it } from '@jest/globals';
import { MAX_COOLDOWN_MS, mergeCooldowns, sameCooldowns, type Cooldown } from './pool-cooldowns.ts';

const NOW = 1_000_000;
const rl = (provider: string, until: number, model?: string): Cooldown => ({
  provider,
  until,
  reason: 'RateLimited',
  ...(model === undefined ? {} : { model }),
});

describe('merging pool-wide cool-downs', () => {
  it.each<[string, Cooldown[], Cooldown[], Cooldown[], ReadonlySet<string> | undefined]>([
    [
      'spreads a new 429 cool-down reported by one sidecar',
      [],
      [rl('openai', NOW + 2000)],
      [rl('openai', NOW + 2000)],
      undefined,
    ],
    [
      'keeps the latest end when sidecars report the same provider',
      [rl('openai', NOW + 5000)],
      [rl('openai', NOW + 2000), rl('openai', NOW + 8000)],
      [rl('openai', NOW + 8000)],
      undefined,
    ],
    [
      'keeps a model-scoped cool-down apart from the provider-wide one',
      [rl('openai', NOW + 1000)],
      [rl('openai', NOW + 3000, 'gpt-4o')],
      [rl('openai', NOW + 1000), rl('openai', NOW + 3000, 'gpt-4o')],
      undefined,
    ],
    ['drops what has expired', [rl('openai', NOW - 1)], [rl('gemini', NOW)], [], undefined],
    [
      'caps an absurd Retry-After at five minutes',
      [],
      [rl('openai', NOW + 86_400_000)],
      [rl('openai', NOW + MAX_COOLDOWN_MS)],
      undefined,
    ],
    [
      'drops providers that left the pool',
      [rl('gone', NOW + 1000)],
      [rl('openai', NOW + 1000)],
      [rl('openai', NOW + 1000)],
      new Set(['openai']),
    ],
  ])('%s', (_name, known, reported, expected, providers) => {
    expect(mergeCooldowns(known, reported, NOW, providers)).toEqual(expected);
  });

  it('tells an unchanged list from a changed one, whatever order the reports came in', () => {
    const a = mergeCooldowns([], [rl('b', NOW + 10), rl('a', NOW + 10)], NOW);
    const b = mergeCooldowns([], [rl('a', NOW + 10), rl('b', NOW + 10)], NOW);
    expect(sameCooldowns(a, b)).toBe(true);
    expect(sameCooldowns(a, mergeCooldowns(a, [rl('a', NOW + 20)], NOW))).toBe(false);
  });
});
