import { describe, expect, it } from '@jest/globals';
import type { Candidate, Price } from '../types.ts';
import { CostBased } from './cost-based.ts';
import { expectedCostUsd } from './expected-cost.ts';
import { candidate, pickContext, pickSequence, pickShares } from './test-candidates.ts';

const price = (inputPerMillionTokens: number, outputPerMillionTokens: number): Price => ({
  inputPerMillionTokens,
  outputPerMillionTokens,
});
const GPT_4O_MINI = price(0.15, 0.6);
const CLAUDE_HAIKU = price(1, 5);
/** Cheap to read, dear to write; and the reverse. */
const INPUT_CHEAP = price(0.5, 10);
const OUTPUT_CHEAP = price(3, 1.5);

const chatPrompt = { input: 1_000, output: 500 };
const longDocumentSummary = { input: 50_000, output: 300 };
const longEssay = { input: 200, output: 4_000 };

describe('expected cost', () => {
  it.each([
    {
      name: 'adds input and output tokens at their prices',
      p: GPT_4O_MINI,
      tokens: chatPrompt,
      usd: 0.00045,
    },
    { name: 'is 0 for a request with no tokens', p: CLAUDE_HAIKU, tokens: { input: 0, output: 0 }, usd: 0 },
    {
      name: 'prices a long summary mostly by its input',
      p: OUTPUT_CHEAP,
      tokens: longDocumentSummary,
      usd: 0.15045,
    },
  ])('$name', ({ p, tokens, usd }) => {
    expect(expectedCostUsd(p, tokens)).toBeCloseTo(usd, 12);
  });
});

describe('cost-based', () => {
  it.each([
    {
      name: 'picks the cheaper model at real prices',
      list: [candidate('haiku', { price: CLAUDE_HAIKU }), candidate('mini', { price: GPT_4O_MINI })],
      tokens: chatPrompt,
      expected: 'mini',
    },
    {
      name: 'sends an input-heavy request to the model cheap to read',
      list: [candidate('reads', { price: INPUT_CHEAP }), candidate('writes', { price: OUTPUT_CHEAP })],
      tokens: longDocumentSummary,
      expected: 'reads',
    },
    {
      name: 'sends an output-heavy request to the model cheap to write',
      list: [candidate('reads', { price: INPUT_CHEAP }), candidate('writes', { price: OUTPUT_CHEAP })],
      tokens: longEssay,
      expected: 'writes',
    },
    {
      name: 'switches when a price change reverses the ranking',
      list: [candidate('haiku', { price: price(0.1, 0.4) }), candidate('mini', { price: GPT_4O_MINI })],
      tokens: chatPrompt,
      expected: 'haiku',
    },
    {
      name: 'ignores a cheaper model whose weight is 0',
      list: [
        candidate('mini', { price: GPT_4O_MINI, weight: 0 }),
        candidate('haiku', { price: CLAUDE_HAIKU }),
      ],
      tokens: chatPrompt,
      expected: 'haiku',
    },
    {
      name: 'skips a cheaper target failing more than half its requests while a healthy one exists',
      list: [
        candidate('mini', { price: GPT_4O_MINI, errorRate: 0.6 }),
        candidate('haiku', { price: CLAUDE_HAIKU }),
      ],
      tokens: chatPrompt,
      expected: 'haiku',
    },
    {
      name: 'keeps a cheaper target failing exactly at the threshold',
      list: [
        candidate('mini', { price: GPT_4O_MINI, errorRate: 0.5 }),
        candidate('haiku', { price: CLAUDE_HAIKU }),
      ],
      tokens: chatPrompt,
      expected: 'mini',
    },
    {
      name: 'falls back to the cheapest when every target is unhealthy',
      list: [
        candidate('haiku', { price: CLAUDE_HAIKU, errorRate: 0.7 }),
        candidate('mini', { price: GPT_4O_MINI, errorRate: 0.9 }),
      ],
      tokens: chatPrompt,
      expected: 'mini',
    },
    {
      name: 'ranks a target without a price after a priced one, however dear',
      list: [candidate('unpriced'), candidate('haiku', { price: CLAUDE_HAIKU })],
      tokens: chatPrompt,
      expected: 'haiku',
    },
    {
      name: 'uses an unpriced target when the priced ones are unhealthy',
      list: [candidate('unpriced'), candidate('mini', { price: GPT_4O_MINI, errorRate: 0.8 })],
      tokens: chatPrompt,
      expected: 'unpriced',
    },
  ])('$name', ({ list, tokens, expected }) => {
    const picks = pickSequence(new CostBased(), list, 20, pickContext({ tokens }));
    expect(new Set(picks)).toEqual(new Set([expected]));
  });

  it('follows the token mix request by request with the same strategy', () => {
    const strategy = new CostBased();
    const list = [candidate('reads', { price: INPUT_CHEAP }), candidate('writes', { price: OUTPUT_CHEAP })];
    const picked = [longDocumentSummary, longEssay, longDocumentSummary].map(
      (tokens) => strategy.pick(list, pickContext({ tokens }))?.key,
    );
    expect(picked).toEqual(['reads', 'writes', 'reads']);
  });

  it.each<{ name: string; list: Candidate[]; expected: Record<string, number> }>([
    {
      name: 'balances targets within 1 % of the cheapest by weight (3:1)',
      list: [
        candidate('a', { price: price(1, 1), weight: 3 }),
        candidate('b', { price: price(1.005, 1.005), weight: 1 }),
        candidate('dear', { price: price(2, 2) }),
      ],
      expected: { a: 0.75, b: 0.25 },
    },
    {
      name: 'does not balance onto a target 2 % dearer',
      list: [candidate('a', { price: price(1, 1) }), candidate('b', { price: price(1.02, 1.02), weight: 5 })],
      expected: { a: 1 },
    },
    {
      name: 'balances unpriced targets by weight when none has a price',
      list: [candidate('a', { weight: 1 }), candidate('b', { weight: 3 })],
      expected: { a: 0.25, b: 0.75 },
    },
  ])('$name', ({ list, expected }) => {
    const shares = pickShares(new CostBased(), list, 4_000, pickContext({ tokens: chatPrompt }));
    expect(shares).toEqual(expected);
  });

  it('honours a wider tie tolerance', () => {
    const list = [candidate('a', { price: price(1, 1) }), candidate('b', { price: price(1.04, 1.04) })];
    const shares = pickShares(new CostBased({ tieTolerance: 0.05 }), list, 1_000);
    expect(shares).toEqual({ a: 0.5, b: 0.5 });
  });

  it('returns nothing for an empty list or all-drained targets', () => {
    const strategy = new CostBased();
    expect(strategy.pick([], pickContext())).toBeUndefined();
    expect(strategy.pick([candidate('a', { weight: 0, price: GPT_4O_MINI })], pickContext())).toBeUndefined();
  });
});
