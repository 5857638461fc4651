/**
 * Apps that speak Anthropic's Messages API to the sidecar: raw fetch with Anthropic-shaped requests (the
 * Anthropic SDK is not a dependency), Anthropic-shaped answers checked against the documented formats, routed by
 * the pool to providers of other dialects.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SseParser } from '../../core/sse/sse-parser.ts';
import { poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { toolCallingDialect } from '../support/tool-calling-dialect.ts';

const ANTHROPIC_HEADERS = {
  'content-type': 'application/json',
  'x-api-key': 'not-needed-by-the-sidecar',
  'anthropic-version': '2023-06-01',
};

interface StreamEvent {
  readonly event: string | undefined;
  readonly data: Record<string, unknown>;
}

async function messages(
  h: Harness,
  body: unknown,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${h.sidecar.url}/messages`, {
    method: 'POST',
    headers: ANTHROPIC_HEADERS,
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function streamed(
  h: Harness,
  body: unknown,
): Promise<{ status: number; headers: Headers; events: StreamEvent[] }> {
  const res = await fetch(`${h.sidecar.url}/messages`, {
    method: 'POST',
    headers: ANTHROPIC_HEADERS,
    body: JSON.stringify({ ...(body as object), stream: true }),
  });
  const parser = new SseParser();
  const events: StreamEvent[] = [];
  for await (const chunk of res.body ?? []) {
    for (const e of parser.feed(chunk))
      events.push({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> });
  }
  return { status: res.status, headers: res.headers, events };
}

function textOf(events: readonly StreamEvent[]): string {
  return events
    .map((e) => e.data.delta as { type?: string; text?: string } | undefined)
    .filter((d) => d?.type === 'text_delta')
    .map((d) => d?.text ?? '')
    .join('');
}

const ASK = { model: 'chat', max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] };

describe('POST /v1/messages routed to an OpenAI-dialect provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([{ name: 'alpha', behaviour: { streamChunks: 4 } }]);
  });
  afterAll(() => h.close());

  it('answers an Anthropic message', async () => {
    const res = await messages(h, { ...ASK, system: 'Be brief.' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchboard-provider')).toBe('alpha');
    expect(res.body).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-mini',
      content: [{ type: 'text', text: 'Hello from alpha. You said: Say hello.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect((res.body as { usage: { output_tokens: number } }).usage.output_tokens).toBeGreaterThan(0);
    // the provider got an OpenAI request for its own model
    expect(h.mocks.alpha?.stats.lastRequest).toMatchObject({
      path: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        max_completion_tokens: 256,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ],
      },
    });
  });

  it('says max_tokens when the answer was cut at the limit', async () => {
    const res = await messages(h, { ...ASK, max_tokens: 2 });
    expect(res.body).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
  });

  it('streams the documented event sequence, with the text, stop reason and usage', async () => {
    const res = await streamed(h, ASK);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const names = res.events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'content_block_delta']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(new Set(names.slice(2, -3))).toEqual(new Set(['content_block_delta']));
    expect(res.events.every((e) => e.event === e.data.type)).toBe(true);
    expect(res.events[0]?.data).toMatchObject({
      message: { id: expect.stringMatching(/^msg_/), role: 'assistant', content: [], stop_reason: null },
    });
    expect(res.events[1]?.data).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    expect(textOf(res.events)).toBe('Hello from alpha. You said: Say hello.');
    const delta = res.events.at(-2)?.data as {
      delta: unknown;
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(delta.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(delta.usage.output_tokens).toBeGreaterThan(0);
    expect(delta.usage.input_tokens).toBeGreaterThan(0);
  });

  it.each([
    {
      name: 'max_tokens is missing',
      body: { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] },
      message: 'max_tokens',
    },
    {
      name: 'a content block type is unknown',
      body: { ...ASK, messages: [{ role: 'user', content: [{ type: 'video' }] }] },
      message: 'messages[0].content[0].type',
    },
    { name: 'the body is not JSON', body: undefined, message: 'JSON' },
  ])(
    'answers 400 in Anthropic’s error shape when $name, without calling a provider',
    async ({ body, message }) => {
      const before = h.mocks.alpha?.stats.requests;
      const res = await fetch(`${h.sidecar.url}/messages`, {
        method: 'POST',
        headers: ANTHROPIC_HEADERS,
        body: body === undefined ? '{"model": ' : JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      const error = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(error).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.any(String) },
      });
      expect(error.error.message).toContain(message);
      expect(h.mocks.alpha?.stats.requests).toBe(before);
    },
  );

  it('answers 404 not_found_error for a model the pool does not serve', async () => {
    const res = await messages(h, { ...ASK, model: 'claude-unknown' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('claude-unknown') },
    });
  });
});

describe('tool use through POST /v1/messages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([{ name: 'tools', dialect: toolCallingDialect }]);
  });
  afterAll(() => h.close());

  const weatherTool = {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  };
  const question = {
    ...ASK,
    tools: [weatherTool],
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  };

  it('completes a round trip: a tool_use answer, then the tool_result, then the final text', async () => {
    const first = await messages(h, { ...question, tool_choice: { type: 'any' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      stop_reason: 'tool_use',
      content: [
        {
          type: 'tool_use',
          id: expect.stringMatching(/^call_/),
          name: 'get_weather',
          input: { query: 'Weather in Paris?' },
        },
      ],
    });
    expect(h.mocks.tools?.stats.lastRequest?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.input_schema } }],
      tool_choice: 'required',
    });

    const toolUse = (first.body as { content: { id: string }[] }).content[0];
    const second = await messages(h, {
      ...question,
      messages: [
        ...question.messages,
        { role: 'assistant', content: (first.body as { content: unknown }).content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse?.id, content: '18°C and sunny' }],
        },
      ],
    });
    expect(second.body).toMatchObject({
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Tool said: 18°C and sunny' }],
    });
    expect((h.mocks.tools?.stats.lastRequest?.body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: toolUse?.id,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"query":"Weather in Paris?"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: toolUse?.id, content: '18°C and sunny' },
    ]);
  });

  it('streams a tool call as a tool_use block with input_json_delta fragments', async () => {
    const res = await streamed(h, question);
    const start = res.events.find((e) => e.event === 'content_block_start');
    expect(start?.data).toMatchObject({
      index: 0,
      content_block: {
        type: 'tool_use',
        id: expect.stringMatching(/^call_/),
        name: 'get_weather',
        input: {},
      },
    });
    const fragments = res.events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => e.data.delta as { type: string; partial_json: string });
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.every((f) => f.type === 'input_json_delta')).toBe(true);
    expect(JSON.parse(fragments.map((f) => f.partial_json).join(''))).toEqual({ query: 'Weather in Paris?' });
    expect(res.events.at(-2)?.data).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: { input_tokens: 30, output_tokens: 12 },
    });
    expect(res.events.at(-1)?.event).toBe('message_stop');
  });
});

describe('POST /v1/messages across dialects and failures', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is served by OpenAI and Azure OpenAI providers alike, in Anthropic’s shape', async () => {
    h = await startHarness([{ name: 'oai' }, { name: 'azure', dialect: 'azure-openai' }], (mocks) =>
      poolSpec(mocks, {
        spec: { strategy: { type: 'round-robin' } },
        providers: { azure: { type: 'azure-openai', baseURL: mocks.azure?.origin } },
      }),
    );
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await messages(h, ASK);
      expect(res.body).toMatchObject({
        type: 'message',
        content: [{ type: 'text' }],
        stop_reason: 'end_turn',
      });
      served.add(res.headers.get('x-switchboard-provider') ?? '');
      const stream = await streamed(h, ASK);
      served.add(stream.headers.get('x-switchboard-provider') ?? '');
      expect(stream.events.map((e) => e.event).at(-1)).toBe('message_stop');
      expect(textOf(stream.events)).toMatch(/^Hello from (oai|azure)\. You said: Say hello\.$/);
    }
    expect(served).toEqual(new Set(['oai', 'azure']));
    expect(h.mocks.oai?.stats.requests).toBe(4);
    expect(h.mocks.azure?.stats.requests).toBe(4);
  });

  it.each([
    { dialect: 'anthropic', model: 'claude-haiku-4-5' },
    { dialect: 'gemini', model: 'gemini-2.5-flash' },
  ])(
    'is served by the $dialect dialect too, through the internal OpenAI shape',
    async ({ dialect, model }) => {
      h = await startHarness([{ name: 'native', dialect }], (mocks) =>
        poolSpec(mocks, { providers: { native: { type: dialect, models: [{ name: 'chat', model }] } } }),
      );
      const res = await messages(h, ASK);
      expect(res.body).toMatchObject({
        type: 'message',
        content: [{ type: 'text', text: expect.stringContaining('Say hello.') }],
        stop_reason: 'end_turn',
      });
      const stream = await streamed(h, ASK);
      expect(stream.events.map((e) => e.event).at(-1)).toBe('message_stop');
      expect(textOf(stream.events)).toContain('Say hello.');
      expect(stream.events.at(-2)?.data).toMatchObject({ usage: { output_tokens: expect.any(Number) } });
    },
  );

  it('fails over invisibly, and reports a failure everywhere as an Anthropic api_error', async () => {
    h = await startHarness([{ name: 'down', behaviour: { errorRate: 1 } }, { name: 'up' }], (mocks) =>
      poolSpec(mocks, { providers: { down: { weight: 1000 } } }),
    );
    const ok = await messages(h, ASK);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-switchboard-attempts')).toBe('2');
    h.mocks.up?.setBehaviour({ errorRate: 1 });
    const failed = await messages(h, ASK);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringMatching(/answered HTTP 500/) },
    });
  });

  it('ends a stream cut after it began with an Anthropic error event, never message_stop', async () => {
    h = await startHarness([{ name: 'cut', behaviour: { streamChunks: 6, cutStreamAfterChunks: 3 } }]);
    const res = await streamed(h, ASK);
    expect(res.status).toBe(200);
    expect(res.events[0]?.event).toBe('message_start');
    expect(res.events.at(-1)).toEqual({
      event: 'error',
      data: {
        type: 'error',
        error: { type: 'api_error', message: expect.stringContaining('ended before it was complete') },
      },
    });
    expect(res.events.some((e) => e.event === 'message_stop')).toBe(false);
  });
});
