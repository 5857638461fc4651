/**
 * Active probes on real sockets with the official OpenAI SDK: a primary that went down and recovered gets its
 * traffic back within seconds, although its breaker's backoff is a minute long, in every dialect.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { as, DIALECTS } from '../support/dialects.ts';
import { metricsText, poolSpec, servedBy, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { waitFor } from '../support/wait.ts';

describe('active probes', () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each(['openai', 'azure', 'anthropic', 'gemini'])(
    '%s: bring a recovered primary back within seconds, long before its breaker’s backoff ends',
    async (name) => {
      const dialect = DIALECTS[name]!;
      h = await startHarness(
        [{ name: 'primary', dialect: dialect.mock, behaviour: { errorRate: 1 } }, { name: 'backup' }],
        (mocks) =>
          poolSpec(mocks, {
            spec: {
              breaker: {
                consecutiveFailures: 2,
                baseBackoffMs: 60_000,
                successesToClose: 1,
                activeProbeIntervalMs: 200,
              },
            },
            providers: { primary: as(dialect, mocks.primary), backup: { priority: 1 } },
          }),
      );
      expect(await servedBy(h.client, 3)).toEqual(['backup', 'backup', 'backup']);
      expect(await metricsText(h.sidecar)).toContain(
        // 5xx answers are the model's fault: its breaker opens (judge-outcome.ts scopes faults).
        'switchboard_model_breaker_state{provider="primary",model="chat",state="open"} 1',
      );

      h.mocks.primary?.setBehaviour({ errorRate: 0 });
      // A generous bound for a busy machine; the backoff alone would take 60 s.
      await waitFor(
        'the primary to serve again',
        async () => (await servedBy(h.client, 1))[0] === 'primary',
        15_000,
      );
      expect(await servedBy(h.client, 3)).toEqual(['primary', 'primary', 'primary']);
    },
  );
});
