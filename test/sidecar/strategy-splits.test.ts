/**
 * Every routing strategy, end to end: real mock providers and a real sidecar on port 0, the official OpenAI SDK
 * as the client, and the split read from the `x-switchboard-provider` header and checked against the mocks' own
 * counters. Deterministic strategies are held to exact counts and sequences; random ones (power of two choices)
 * to bounds computed from the sample size. The sidecar's random source is seeded, so a failure repeats.
 */
import { describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { MockProvider } from '../../mock-provider/server.ts';
import { ManualClock, seededRng, type Clock } from '../../core/clock.ts';
import {
  CHAT,
  countBy,
  poolSpec,
  startHarness,
  type Harness,
  type MockSpec,
  type ProviderOverrides,
} from '../support/sidecar-harness.ts';

const SIDECAR_SEED = 20240601;

/** gpt-4o-mini's list price and one several times dearer, USD per million tokens. */
const CHEAP = { inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.6 };
const PRICEY = { inputPerMillionTokens: 1.0, outputPerMillionTokens: 5.0 };

type PoolConfigurer = (mocks: Record<string, MockProvider>) => Record<string, unknown>;

interface Answer {
  readonly provider: string;
  readonly attempts: number;
}

/** A pool of one provider per mock (in mock order) with the given strategy block and per-provider overrides. */
function pool(
  strategy: Record<string, unknown>,
  providers: Record<string, ProviderOverrides> = {},
  spec: Record<string, unknown> = {},
): PoolConfigurer {
  return (mocks) => poolSpec(mocks, { spec: { ...spec, strategy }, providers });
}

/** Provider overrides giving the logical model "chat" a price. */
function priced(pricing: typeof CHEAP): ProviderOverrides {
  return { models: [{ name: 'chat', model: 'gpt-4o-mini', pricing }] };
}

/** Starts mocks and a sidecar with a seeded random source, runs `body`, and always closes everything. */
async function withHarness(
  mocks: readonly MockSpec[],
  configure: PoolConfigurer,
  body: (h: Harness) => Promise<void>,
  clock?: Clock,
): Promise<void> {
  const h = await startHarness(mocks, configure, { rng: seededRng(SIDECAR_SEED), ...(clock && { clock }) });
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

/** One chat completion; which provider served it and on which attempt. */
async function ask(
  client: OpenAI,
  headers: Record<string, string> = {},
  request: OpenAI.ChatCompletionCreateParamsNonStreaming = CHAT,
): Promise<Answer> {
  const { data, response } = await client.chat.completions.create(request, { headers }).withResponse();
  expect(data.object).toBe('chat.completion');
  return {
    provider: response.headers.get('x-switchboard-provider') ?? 'missing',
    attempts: Number(response.headers.get('x-switchboard-attempts')),
  };
}

async function askSequentially(
  client: OpenAI,
  n: number,
  headers: Record<string, string> = {},
): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < n; i++) answers.push(await ask(client, headers));
  return answers;
}

/** `total` requests from `concurrency` workers, each sending its next request as soon as the last is answered. */
async function askConcurrently(client: OpenAI, total: number, concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      answers.push(await ask(client));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

const providersOf = (answers: readonly Answer[]): string[] => answers.map((a) => a.provider);

/** The longest run of consecutive `value`s in `sequence`. */
function longestRun(sequence: readonly string[], value: string): number {
  let longest = 0;
  let current = 0;
  for (const v of sequence) {
    current = v === value ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/**
 * Bounds that a Binomial(n, p) count leaves with probability below 1e-6 (±5 standard deviations, two-sided
 * ≈ 5.7e-7), so a fair random split cannot fail them while a biased or stuck one does.
 */
function binomialBounds(n: number, p: number): { low: number; high: number } {
  const mean = n * p;
  const spread = 5 * Math.sqrt(n * p * (1 - p));
  return { low: Math.max(0, Math.ceil(mean - spread)), high: Math.min(n, Math.floor(mean + spread)) };
}

/** Requests each mock actually received, by name. */
function received(h: Harness): Record<string, number> {
  return Object.fromEntries(Object.entries(h.mocks).map(([name, m]) => [name, m.stats.requests]));
}

function mock(h: Harness, name: string): MockProvider {
  const m = h.mocks[name];
  if (m === undefined) throw new Error(`no mock named ${name}`);
  return m;
}

describe('routing strategies split traffic as designed, end to end through the OpenAI SDK', () => {
  describe('deterministic strategies hand out exact shares', () => {
    interface ExactSplit {
      readonly name: string;
      readonly strategy: string;
      readonly weights: Record<string, number>;
      readonly requests: number;
      readonly expected: Record<string, number>;
      /** The split repeats with this period (a full smooth-WRR cycle, or the round-robin cycle). */
      readonly period: number;
      /** Longest run allowed for a provider: smooth interleaving, not a block of picks. */
      readonly maxRun?: { readonly provider: string; readonly length: number };
    }
    const table: readonly ExactSplit[] = [
      {
        name: 'round-robin gives three providers exactly 10 of 30 requests each, in a fixed cycle',
        strategy: 'round-robin',
        weights: { a: 1, b: 1, c: 1 },
        requests: 30,
        expected: { a: 10, b: 10, c: 10 },
        period: 3,
        maxRun: { provider: 'a', length: 1 },
      },
      {
        name: 'round-robin ignores weights above 0',
        strategy: 'round-robin',
        weights: { a: 3, b: 1 },
        requests: 20,
        expected: { a: 10, b: 10 },
        period: 2,
        maxRun: { provider: 'a', length: 1 },
      },
      {
        name: 'round-robin never sends to a provider of weight 0',
        strategy: 'round-robin',
        weights: { a: 1, drained: 0, b: 1 },
        requests: 20,
        expected: { a: 10, b: 10 },
        period: 2,
      },
      {
        name: 'weighted round-robin splits 3:1 weights exactly 30/10 over 40 requests, never 4 heavy in a row',
        strategy: 'weighted-round-robin',
        weights: { heavy: 3, light: 1 },
        requests: 40,
        expected: { heavy: 30, light: 10 },
        period: 4,
        maxRun: { provider: 'heavy', length: 3 },
      },
      {
        // 3:1 cannot tell smooth from blocks (h h l h is a rotation of h h h l); 3:2 can: a b a b a, not a a a b b
        name: 'weighted round-robin interleaves 3:2 weights, never more than 2 heavy in a row',
        strategy: 'weighted-round-robin',
        weights: { heavy: 3, light: 2 },
        requests: 50,
        expected: { heavy: 30, light: 20 },
        period: 5,
        maxRun: { provider: 'heavy', length: 2 },
      },
      {
        name: 'weighted round-robin splits fractional weights 0.5:1.5 as 25 %/75 %',
        strategy: 'weighted-round-robin',
        weights: { half: 0.5, oneandahalf: 1.5 },
        requests: 40,
        expected: { half: 10, oneandahalf: 30 },
        period: 4,
        maxRun: { provider: 'oneandahalf', length: 3 },
      },
      {
        name: 'weighted round-robin drains a provider of weight 0 and splits the rest by weight',
        strategy: 'weighted-round-robin',
        weights: { heavy: 2, drained: 0, light: 1 },
        requests: 30,
        expected: { heavy: 20, light: 10 },
        period: 3,
        maxRun: { provider: 'heavy', length: 2 },
      },
    ];

    it.each(table)('$name', async ({ strategy, weights, requests, expected, period, maxRun }) => {
      const names = Object.keys(weights);
      const overrides = Object.fromEntries(names.map((n) => [n, { weight: weights[n] }]));
      await withHarness(
        names.map((name) => ({ name })),
        pool({ type: strategy }, overrides),
        async (h) => {
          const answers = await askSequentially(h.client, requests);
          const sequence = providersOf(answers);
          expect(countBy(sequence)).toEqual(expected);
          // the header tells the truth: each mock received exactly the requests attributed to it
          expect(received(h)).toEqual(Object.fromEntries(names.map((n) => [n, expected[n] ?? 0])));
          expect(answers.every((a) => a.attempts === 1)).toBe(true);
          // one cycle repeats: after the first `period` picks, every pick equals the one a period earlier
          expect(sequence.slice(period)).toEqual(sequence.slice(0, -period));
          if (maxRun) expect(longestRun(sequence, maxRun.provider)).toBe(maxRun.length);
        },
      );
    });
  });

  describe('least-connections (power of two choices on requests in flight)', () => {
    it('sends most concurrent traffic to the provider that frees its connections fastest', async () => {
      await withHarness(
        [
          { name: 'slow', behaviour: { latencyMs: 150 } },
          { name: 'fast', behaviour: { latencyMs: 5 } },
        ],
        pool({ type: 'least-connections' }),
        async (h) => {
          const total = 40;
          const counts = countBy(providersOf(await askConcurrently(h.client, total, 8)));
          expect((counts.slow ?? 0) + (counts.fast ?? 0)).toBe(total);
          expect(counts.fast ?? 0).toBeGreaterThanOrEqual(0.7 * total);
          // not "always the fast one": while the fast one has more in flight, the slow one takes a share
          expect(counts.slow ?? 0).toBeGreaterThanOrEqual(1);
          expect(received(h)).toEqual({ slow: counts.slow ?? 0, fast: counts.fast ?? 0 });
        },
      );
    });

    it('splits sequential traffic between equal providers by coin flip, within 5 standard deviations', async () => {
      await withHarness(
        [{ name: 'left' }, { name: 'right' }],
        pool({ type: 'least-connections' }),
        async (h) => {
          const total = 100;
          const counts = countBy(providersOf(await askSequentially(h.client, total)));
          const { low, high } = binomialBounds(total, 0.5);
          expect((counts.left ?? 0) + (counts.right ?? 0)).toBe(total);
          expect(counts.left ?? 0).toBeGreaterThanOrEqual(low);
          expect(counts.left ?? 0).toBeLessThanOrEqual(high);
        },
      );
    });
  });

  describe('response-time (peak-EWMA latency, power of two choices)', () => {
    it('sends the large majority to the fast provider but explores the unmeasured slow one', async () => {
      await withHarness(
        [
          { name: 'slow', behaviour: { latencyMs: 100 } },
          { name: 'fast', behaviour: { latencyMs: 5 } },
        ],
        pool({ type: 'response-time' }),
        async (h) => {
          const total = 30;
          const counts = countBy(providersOf(await askSequentially(h.client, total)));
          expect((counts.slow ?? 0) + (counts.fast ?? 0)).toBe(total);
          expect(counts.fast ?? 0).toBeGreaterThanOrEqual(0.8 * total);
          // a provider with no measurement yet is assumed as fast as the best and tried, not starved
          expect(counts.slow ?? 0).toBeGreaterThanOrEqual(1);
          expect(mock(h, 'slow').stats.requests).toBe(counts.slow ?? 0);
        },
      );
    });
  });

  describe('cost-based', () => {
    it('sends every request to the cheapest provider, wherever it is listed', async () => {
      await withHarness(
        [{ name: 'pricey' }, { name: 'cheap' }],
        pool({ type: 'cost-based' }, { pricey: priced(PRICEY), cheap: priced(CHEAP) }),
        async (h) => {
          const answers = await askSequentially(h.client, 12);
          expect(providersOf(answers)).toEqual(Array(12).fill('cheap'));
          expect(received(h)).toEqual({ pricey: 0, cheap: 12 });
        },
      );
    });

    it('weighs input and output prices by the request’s token counts', async () => {
      const inputCheap = { inputPerMillionTokens: 0.1, outputPerMillionTokens: 10 };
      const outputCheap = { inputPerMillionTokens: 5, outputPerMillionTokens: 0.4 };
      await withHarness(
        [{ name: 'input-cheap' }, { name: 'output-cheap' }],
        pool(
          { type: 'cost-based' },
          { 'input-cheap': priced(inputCheap), 'output-cheap': priced(outputCheap) },
        ),
        async (h) => {
          // ≈ 2000 prompt tokens and 16 output tokens: input dominates
          const longPrompt = {
            ...CHAT,
            messages: [{ role: 'user' as const, content: 'x'.repeat(8000) }],
            max_tokens: 16,
          };
          // ≈ 4 prompt tokens and up to 2000 output tokens: output dominates
          const longAnswer = { ...CHAT, max_tokens: 2000 };
          expect((await ask(h.client, {}, longPrompt)).provider).toBe('input-cheap');
          expect((await ask(h.client, {}, longAnswer)).provider).toBe('output-cheap');
        },
      );
    });

    it('fails over to the dearer provider when the cheap one fails hard, and pays the detour at most five times', async () => {
      await withHarness(
        [{ name: 'pricey' }, { name: 'cheap' }],
        pool(
          { type: 'cost-based' },
          { pricey: priced(PRICEY), cheap: priced(CHEAP) },
          { retry: { attempts: 1 } },
        ),
        async (h) => {
          expect(await ask(h.client)).toEqual({ provider: 'cheap', attempts: 1 });
          const cheap = mock(h, 'cheap');
          cheap.setBehaviour({ errorRate: 1 });
          cheap.resetStats();

          const total = 12;
          const answers = await askSequentially(h.client, total);
          expect(providersOf(answers)).toEqual(Array(total).fill('pricey'));
          // the first failure was hidden by a retry on the other provider
          expect(answers[0]).toEqual({ provider: 'pricey', attempts: 2 });
          // every failed attempt at the cheap one cost exactly one retry, and nothing else did
          const failures = cheap.stats.byStatus[500] ?? 0;
          expect(cheap.stats.requests).toBe(failures);
          expect(answers.filter((a) => a.attempts === 2)).toHaveLength(failures);
          // the cheap one is dropped (health filter), tried again now and then as its error rate decays with time,
          // and sidelined by its breaker at the 5th failure in a row: the detour is paid at most five times. (When
          // in the run those retries fall depends on how fast the requests go, so that is not asserted.)
          expect(failures).toBeGreaterThanOrEqual(1);
          expect(failures).toBeLessThanOrEqual(5);
          expect(mock(h, 'pricey').stats.requests).toBe(total);
        },
      );
    });
  });

  describe('health-aware and adaptive', () => {
    // The breaker is set out of reach so that only the strategy's health weighting keeps traffic off the flaky
    // provider. For contrast, round-robin would send it 50 of the 100 first attempts and ~75 % of the answers
    // would come from the healthy one.
    it.each([
      {
        name: 'health-aware sends the flaky provider a trickle of first attempts and retries hide its failures',
        strategy: 'health-aware',
      },
      {
        name: 'adaptive sends the flaky provider a trickle of first attempts and retries hide its failures',
        strategy: 'adaptive',
      },
    ])('$name', async ({ strategy }) => {
      await withHarness(
        [{ name: 'flaky', behaviour: { errorRate: 0.5 } }, { name: 'healthy' }],
        pool(
          { type: strategy },
          {},
          { retry: { attempts: 1 }, breaker: { consecutiveFailures: 1000, minRequests: 1000 } },
        ),
        async (h) => {
          const total = 100;
          const answers = await askSequentially(h.client, total); // throws if any request failed
          const counts = countBy(providersOf(answers));
          const flaky = mock(h, 'flaky');
          const failures = flaky.stats.byStatus[500] ?? 0;
          expect((counts.flaky ?? 0) + (counts.healthy ?? 0)).toBe(total);
          expect(counts.healthy ?? 0).toBeGreaterThanOrEqual(0.85 * total);
          // every request to the flaky one was a first attempt (a retry goes to a provider not yet tried)
          expect(flaky.stats.requests).toBe(failures + (counts.flaky ?? 0));
          expect(flaky.stats.requests).toBeLessThanOrEqual(0.35 * total);
          expect(counts.flaky ?? 0).toBeGreaterThanOrEqual(1); // a trickle, so a recovery would be seen
          // the flaky one really failed, and each failure cost exactly one retry on the healthy one
          expect(failures).toBeGreaterThanOrEqual(1);
          expect(answers.filter((a) => a.attempts === 2)).toHaveLength(failures);
          expect(answers.every((a) => a.attempts <= 2)).toBe(true);
        },
        // Frozen virtual time: the split then follows from the seeded failures alone, not from how busy the
        // machine is (real time would decay the error rate and bring latency noise into adaptive's weights).
        new ManualClock(Date.now()),
      );
    });

    it('adaptive shifts traffic toward the faster of two healthy providers without starving the slower', async () => {
      await withHarness(
        [
          { name: 'slow', behaviour: { latencyMs: 120 } },
          { name: 'fast', behaviour: { latencyMs: 5 } },
        ],
        pool({ type: 'adaptive' }),
        async (h) => {
          const total = 40;
          const counts = countBy(providersOf(await askSequentially(h.client, total)));
          expect((counts.slow ?? 0) + (counts.fast ?? 0)).toBe(total);
          expect(counts.fast ?? 0).toBeGreaterThanOrEqual(0.6 * total); // round-robin: exactly 50 %
          // the latency factor is floored, so the slow one keeps being measured
          expect(counts.slow ?? 0).toBeGreaterThanOrEqual(2);
        },
      );
    });
  });

  describe('per-request strategy override', () => {
    const overridePool = pool(
      { type: 'round-robin', allowOverride: ['cost-based'] },
      { pricey: priced(PRICEY), cheap: priced(CHEAP) },
    );

    it('follows the pool’s round-robin by default and cost-based when the header asks for it', async () => {
      await withHarness([{ name: 'pricey' }, { name: 'cheap' }], overridePool, async (h) => {
        expect(countBy(providersOf(await askSequentially(h.client, 6)))).toEqual({ pricey: 3, cheap: 3 });
        const overridden = await askSequentially(h.client, 6, { 'x-switchboard-strategy': 'cost-based' });
        expect(providersOf(overridden)).toEqual(Array(6).fill('cheap'));
        // requests without the header still follow the pool's round-robin
        expect(countBy(providersOf(await askSequentially(h.client, 2)))).toEqual({ pricey: 1, cheap: 1 });
        expect(received(h)).toEqual({ pricey: 4, cheap: 10 });
      });
    });

    it.each([
      { name: 'refuses a strategy the pool does not allow', requested: 'least-connections' },
      { name: 'refuses a strategy name it does not know', requested: 'fastest-please' },
    ])('$name with a 400 in OpenAI’s error shape naming it', async ({ requested }) => {
      await withHarness([{ name: 'pricey' }, { name: 'cheap' }], overridePool, async (h) => {
        const error = await ask(h.client, { 'x-switchboard-strategy': requested }).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
        expect(bad.status).toBe(400);
        expect(bad.type).toBe('invalid_request_error');
        expect(bad.message).toContain(`"${requested}"`);
        expect(received(h)).toEqual({ pricey: 0, cheap: 0 });
      });
    });
  });
});
