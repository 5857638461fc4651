import { describe, expect, it } from '@jest/globals';
import type { QuotaShare } from '../../api/sync/sync-protocol.ts';
import { ProviderSchema } from '../../api/v1alpha1/providerpool.ts';
import { quotaRates } from './quota-rates.ts';

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
