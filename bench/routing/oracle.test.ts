import { describe, expect, it } from '@jest/globals';
import { oracleChoice } from './oracle.ts';
import { SimProvider, type ProviderState } from './provider-model.ts';

const provider = (name: string, extra: Partial<ProviderState>) =>
  new SimProvider(name, {
    latencyMedianMs: 1_000,
    latencySigma: 0.3,
    errorRate: 0,
    down: false,
    price: { inputPerMillionTokens: 1, outputPerMillionTokens: 1 },
    requestsPerMinute: undefined,
    ...extra,
  });
const tokens = { input: 1_000, output: 100 };
const cheap = { inputPerMillionTokens: 0.1, outputPerMillionTokens: 0.1 };

describe('the oracle', () => {
  it.each([
    {
      name: 'picks the fastest provider for a latency objective',
      providers: [provider('slow', { latencyMedianMs: 2_000 }), provider('fast', { latencyMedianMs: 500 })],
      objective: 'latency' as const,
      expected: 'fast',
    },
    {
      name: 'picks the cheapest provider for a cost objective, however slow',
      providers: [
        provider('fast', { latencyMedianMs: 500 }),
        provider('cheap', { latencyMedianMs: 5_000, price: cheap }),
      ],
      objective: 'cost' as const,
      expected: 'cheap',
    },
    {
      name: 'breaks a near-tie in price by latency',
      providers: [provider('slow', { latencyMedianMs: 2_000 }), provider('fast', { latencyMedianMs: 500 })],
      objective: 'cost' as const,
      expected: 'fast',
    },
    {
      name: 'weighs errors as the time they cost: a 10 % flaky provider 30 % faster still wins',
      providers: [
        provider('steady', { latencyMedianMs: 1_000 }),
        provider('flaky', { latencyMedianMs: 700, errorRate: 0.1 }),
      ],
      objective: 'latency' as const,
      expected: 'flaky',
    },
    {
      name: 'never picks a provider that is down',
      providers: [provider('down', { latencyMedianMs: 100, down: true }), provider('up', {})],
      objective: 'latency' as const,
      expected: 'up',
    },
    {
      name: 'never picks a provider whose account limit is used up',
      providers: [provider('limited', { latencyMedianMs: 100, requestsPerMinute: 1 }), provider('free', {})],
      objective: 'latency' as const,
      exhaust: 'limited',
      expected: 'free',
    },
    {
      name: 'never picks one already tried for the request',
      providers: [provider('tried', { latencyMedianMs: 100 }), provider('other', {})],
      objective: 'latency' as const,
      tried: ['tried'],
      expected: 'other',
    },
  ])('$name', ({ providers, objective, exhaust, tried, expected }) => {
    for (const p of providers) if (p.name === exhaust) p.answer(0, () => 0.5, tokens);
    expect(oracleChoice(providers, objective, 0, tokens, new Set(tried ?? []))).toBe(expected);
  });
});
