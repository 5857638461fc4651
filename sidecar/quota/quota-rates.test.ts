import { describe, expect, it } from '@jest/globals';
import type { QuotaShare } from '../../api/sync/sync-protocol.ts';
import { ProviderSchema } from '../../api/v1alpha1/providerpool.ts';
import { modelQuotaRates, quotaRates } from './quota-rates.ts';

const provider = (limits: object | undefined) =>
  ProviderSchema.parse({
    name: 'a',
    type: 'openai',
    baseURL: 'http://a.test/v1',
    models: [{ name: 'm', model: 'm' }],
    ...(limits === undefined ? {} : { limits }),
  });

describe('what a sidecar may send a provider per minute', () => {
  it.each<{ name: string; limits: object | undefined; shares: QuotaShare[] | undefined; rates: object }>([
    { name: 'nothing is limited without limits', limits: undefined, shares: [], rates: {} },
    {
      name: 'a standalone sidecar enforces the whole limit',
      limits: { requestsPerMinute: 120, tokensPerMinute: 10_000 },
      shares: undefined,
      rates: { requestsPerMinute: 120, tokensPerMinute: 10_000 },
    },
    {
      name: 'under an operator, the share it pushed',
      limits: { requestsPerMinute: 120 },
      shares: [{ provider: 'a', requestsPerMinute: 45.5 }],
      rates: { requestsPerMinute: 45.5, tokensPerMinute: undefined },
    },
    {
      name: 'under an operator with no share pushed yet, a tenth of the limit',
      limits: { requestsPerMinute: 120, tokensPerMinute: 10_000 },
      shares: [{ provider: 'b', requestsPerMinute: 10 }],
      rates: { requestsPerMinute: 12, tokensPerMinute: 1_000 },
    },
    {
      name: 'a share of a kind the spec does not limit is ignored',
      limits: { tokensPerMinute: 10_000 },
      shares: [{ provider: 'a', requestsPerMinute: 5, tokensPerMinute: 4_000 }],
      rates: { requestsPerMinute: undefined, tokensPerMinute: 4_000 },
    },
  ])('$name', ({ limits, shares, rates }) => {
    expect(quotaRates(provider(limits), shares)).toEqual(rates);
  });
});

describe('what a sidecar may send one model of a provider per minute', () => {
  const model = { name: 'chat', model: 'gpt-4o', limits: { tokensPerMinute: 30_000 } };
  it.each<{ name: string; shares: QuotaShare[] | undefined; rates: object }>([
    {
      name: 'a standalone sidecar enforces the model’s whole limit',
      shares: undefined,
      rates: { tokensPerMinute: 30_000 },
    },
    {
      name: 'under an operator, the share pushed for that model (not the provider’s)',
      shares: [
        { provider: 'a', tokensPerMinute: 50_000 },
        { provider: 'a', model: 'chat', tokensPerMinute: 12_000 },
      ],
      rates: { requestsPerMinute: undefined, tokensPerMinute: 12_000 },
    },
    {
      name: 'with no share pushed for the model yet, a tenth of its limit',
      shares: [{ provider: 'a', tokensPerMinute: 50_000 }],
      rates: { requestsPerMinute: undefined, tokensPerMinute: 3_000 },
    },
  ])('$name', ({ shares, rates }) => {
    expect(modelQuotaRates('a', model, shares)).toEqual(rates);
  });

  it('nothing is limited for a model without limits', () => {
    expect(modelQuotaRates('a', { name: 'chat', model: 'gpt-4o' }, [])).toEqual({});
  });
});
