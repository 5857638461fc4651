import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { UpstreamStreamError } from '../../core/errors.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import type { StreamTranslator } from '../adapter.ts';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';

const target = {
  baseURL: 'https://api.anthropic.com',
  model: 'claude-haiku-4-5',
  apiKey: undefined,
  maxOutputTokens: undefined,
  apiVersion: undefined,
};
const adapter = new AnthropicAdapter({ now: () => 1_700_000_000_000 });

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    delta: {
      role?: string;
      content?: string;
      tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function sse(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** Feeds SSE text through the parser and translator; returns the payloads it produced. */
function run(text: string, translator: StreamTranslator): string[] {
  const out: string[] = [];
  for (const event of new SseParser().feed(text)) out.push(...translator.onEvent(event));
  return out;
}

function chunks(payloads: readonly string[]): Chunk[] {
  return payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as Chunk);
}

function frame(event: Record<string, unknown>): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

describe('the Anthropic stream translation', () => {
  it('streams text as content deltas, with the role on the first and the finish reason on the last', () => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    const payloads = run(sse('text-stream.sse'), translator);
    expect(payloads.at(-1)).toBe('[DONE]');
    const out = chunks(payloads);
    expect(out.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: 'Hello' },
      { content: '!' },
      {},
    ]);
    expect(out.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, 'stop']);
    expect(out[0]).toMatchObject({
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5-20250929',
    });
    expect(out.some((c) => c.usage !== undefined)).toBe(false);
    expect(translator.finished).toBe(true);
    // cached prompt tokens count as prompt tokens
    expect(translator.usage).toEqual({ inputTokens: 30, outputTokens: 15 });
  });

  it('adds a usage chunk before [DONE] when the client asked for one', () => {
    const payloads = run(
      sse('text-stream.sse'),
      adapter.createStreamTranslator(target, { clientWantsUsage: true }),
    );
    const last = chunks(payloads).at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({
      prompt_tokens: 30,
      completion_tokens: 15,
      total_tokens: 45,
      prompt_tokens_details: { cached_tokens: 5 },
    });
  });

  it('streams tool calls with their own indexes, ids and argument deltas that add up to the input', () => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    const out = chunks(run(sse('tool-use-stream.sse'), translator));
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let text = '';
    for (const chunk of out) {
      const delta = chunk.choices[0]?.delta;
      text += delta?.content ?? '';
      for (const call of delta?.tool_calls ?? []) {
        const seen = calls.get(call.index) ?? { args: '' };
        calls.set(call.index, {
          id: seen.id ?? call.id,
          name: seen.name ?? call.function.name,
          args: seen.args + call.function.arguments,
        });
      }
    }
    expect(text).toBe('Okay, let me check both cities.');
    expect([...calls.entries()]).toEqual([
      [
        0,
        {
          id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
          name: 'get_weather',
          args: '{"location": "San Francisco, CA"}',
        },
      ],
      [1, { id: 'toolu_02U2y2gK45rBnl3uOUsO8Vq7', name: 'get_weather', args: '{"location": "Paris"}' }],
    ]);
    expect(out.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(translator.usage).toEqual({ inputTokens: 472, outputTokens: 89 });
  });

  it('streams the JSON-mode tool input as content and finishes with stop', () => {
    const text = [
      frame({
        type: 'message_start',
        message: { id: 'msg_j', model: 'm', content: [], usage: { input_tokens: 3, output_tokens: 1 } },
      }),
      frame({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_j', name: STRUCTURED_OUTPUT_TOOL, input: {} },
      }),
      frame({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"a":' },
      }),
      frame({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '1}' },
      }),
      frame({ type: 'content_block_stop', index: 0 }),
      frame({
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: 5 },
      }),
      frame({ type: 'message_stop' }),
    ].join('');
    const out = chunks(run(text, adapter.createStreamTranslator(target, { clientWantsUsage: false })));
    expect(out.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('{"a":1}');
    expect(out.some((c) => c.choices[0]?.delta.tool_calls !== undefined)).toBe(false);
    expect(out.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('sends nothing to the client before an early overload error, which is thrown as retryable', () => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    const parser = new SseParser();
    const sent: string[] = [];
    let thrown: unknown;
    try {
      for (const event of parser.feed(sse('overloaded-stream.sse'))) sent.push(...translator.onEvent(event));
    } catch (err) {
      thrown = err;
    }
    expect(sent).toEqual([]);
    expect(thrown).toBeInstanceOf(UpstreamStreamError);
    expect(thrown).toMatchObject({ retryable: true, code: 'overloaded_error', status: 503 });
    expect(translator.finished).toBe(false);
  });

  it.each([
    ['overloaded_error', true],
    ['api_error', true],
    ['rate_limit_error', true],
    ['invalid_request_error', false],
    ['permission_error', false],
  ])('throws a stream error event of type %s as retryable: %s', (type, retryable) => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    const event = { event: 'error', data: JSON.stringify({ type: 'error', error: { type, message: 'x' } }) };
    expect(() => translator.onEvent(event)).toThrow(UpstreamStreamError);
    try {
      translator.onEvent(event);
    } catch (err) {
      expect((err as UpstreamStreamError).retryable).toBe(retryable);
    }
  });

  it('is not finished when the stream stops before message_stop', () => {
    const text = sse('text-stream.sse');
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    run(text.slice(0, text.indexOf('event: message_delta')), translator);
    expect(translator.finished).toBe(false);
  });

  it('ignores pings, thinking deltas and event types it does not know', () => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    const text = [
      frame({
        type: 'message_start',
        message: { id: 'msg_t', model: 'm', content: [], usage: { input_tokens: 1, output_tokens: 1 } },
      }),
      frame({ type: 'ping' }),
      frame({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      frame({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } }),
      frame({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } }),
      frame({ type: 'content_block_stop', index: 0 }),
      frame({ type: 'some_future_event', detail: 1 }),
    ].join('');
    expect(run(text, translator)).toEqual([]);
  });

  it('rejects event data that is not JSON, so the attempt fails as a bad upstream response', () => {
    const translator = adapter.createStreamTranslator(target, { clientWantsUsage: false });
    expect(() => translator.onEvent({ event: 'message_start', data: '{not json' })).toThrow(SyntaxError);
  });
});
