/**
 * API keys never leave the sidecar. Each dialect's mock quotes the key it was sent back in error answers and in
 * in-stream error events (the `echoKey` knob: whole, upper-cased, masked, or a run from its middle); every byte the
 * client receives, every log line and the /metrics text are then searched for any piece of the key (see
 * key-canary.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MockBehaviour } from '../../mock-provider/behaviour.ts';
import { KEY_ECHOES } from '../../mock-provider/key-echo.ts';
import { keySightings } from '../support/key-canary.ts';
import { rawExchange, rawJsonPost } from '../support/raw-http.ts';
import { metricsText, startHarness, type Harness } from '../support/sidecar-harness.ts';

interface Dialect {
  readonly type: string;
  readonly key: string;
  /** The provider's model for logical model "chat". */
  readonly model: string;
  /** Whether the pool's baseURL is the mock's API URL (OpenAI) or its origin (the others). */
  readonly baseIsOrigin: boolean;
}

const DIALECTS: Dialect[] = [
  {
    type: 'openai',
    key: 'sk-proj-CANARYoai7Qx2Lm9Vb4Nz8Kw1Rt6Yp3',
    model: 'gpt-4o-mini',
    baseIsOrigin: false,
  },
  {
    type: 'anthropic',
    key: 'sk-ant-api03-CANARYant5Hd8Jf2Gs7Ka4Lq9Zx1',
    model: 'claude-haiku-4-5',
    baseIsOrigin: true,
  },
  {
    type: 'gemini',
    key: 'AIzaSyCANARYgem3Vn6Bm9Xc2Zl5Kj8Hg1Fd',
    model: 'gemini-2.5-flash',
    baseIsOrigin: true,
  },
  {
    type: 'azure-openai',
    key: 'a1b2c3d4CANARYazure9f8e7d6c5b4a3f2e1',
    model: 'gpt-4o-mini',
    baseIsOrigin: true,
  },
];

interface Scenario {
  name: string;
  stream: boolean;
  behaviour: Partial<MockBehaviour>;
}

const SCENARIOS: Scenario[] = [
  { name: 'an error answer', stream: false, behaviour: { errorRate: 1 } },
  { name: 'an error answer to a stream request', stream: true, behaviour: { errorRate: 1 } },
  { name: 'a stream error event before any content', stream: true, behaviour: { streamErrorAfterEvents: 0 } },
  {
    name: 'a stream error event after content',
    stream: true,
    // Paced, so the content is written to the client before the error event arrives.
    behaviour: { streamErrorAfterEvents: 5, chunkIntervalMs: 20 },
  },
];

/** The APIs an application speaks to the sidecar, each with its own error and stream-error shapes. */
const ENTRIES = [
  {
    api: 'OpenAI',
    path: '/v1/chat/completions',
    body: (stream: boolean) => ({ model: 'chat', stream, messages: [{ role: 'user', content: 'hi' }] }),
  },
  {
    api: 'Anthropic',
    path: '/v1/messages',
    body: (stream: boolean) => ({
      model: 'chat',
      max_tokens: 64,
      stream,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  },
];

const NEUTRAL: Partial<MockBehaviour> = {
  errorRate: 0,
  streamErrorAfterEvents: null,
  chunkIntervalMs: 0,
};

describe.each(DIALECTS)('the $type key is seen nowhere outside the sidecar', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(
      [{ name: 'echo', dialect: dialect.type, apiKey: dialect.key }],
      (mocks) => ({
        retry: { attempts: 0 },
        breaker: { consecutiveFailures: 1000, minRequests: 1000 },
        providers: [
          {
            name: 'echo',
            type: dialect.type,
            baseURL: dialect.baseIsOrigin ? mocks.echo?.origin : mocks.echo?.url,
            apiKey: { env: 'CANARY_KEY' },
            models: [{ name: 'chat', model: dialect.model }],
          },
        ],
      }),
      { secrets: { env: { CANARY_KEY: dialect.key } } },
    );
  });
  afterAll(() => h.close());

  const cases = ENTRIES.flatMap((entry) =>
    SCENARIOS.flatMap((scenario) =>
      KEY_ECHOES.map((echo) => ({
        name: `${scenario.name} quoting the key (${echo}), on the ${entry.api} API`,
        entry,
        scenario,
        echo,
      })),
    ),
  );

  it.each(cases)('not in any byte the client gets from $name', async ({ entry, scenario, echo }) => {
    h.mocks.echo?.setBehaviour({ ...NEUTRAL, ...scenario.behaviour, echoKey: echo });
    const asked = h.mocks.echo?.stats.requests ?? 0;
    const body = JSON.stringify(entry.body(scenario.stream));
    const answer = await rawExchange(h.sidecar.port, rawJsonPost(entry.path, body, { connection: 'close' }));
    expect(answer.status).toBeDefined();
    expect(h.mocks.echo?.stats.requests).toBeGreaterThan(asked);
    // The first few fragments say enough about a sighting.
    expect(keySightings(answer.bytes.toString('utf8'), dialect.key).slice(0, 3)).toEqual([]);
  });

  it('not in any log line the sidecar wrote', () => {
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.filter((line) => keySightings(line, dialect.key).length > 0)).toEqual([]);
  });

  it('not in the /metrics text', async () => {
    const text = await metricsText(h.sidecar);
    expect(text).toContain('switchboard_requests_total');
    expect(keySightings(text, dialect.key)).toEqual([]);
  });
});
