import { describe, expect, it } from '@jest/globals';
import { UpstreamStreamError } from '../../core/errors.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import { GeminiStreamTranslator } from './chat-stream.ts';
import { fixtureText, TARGET } from './test-support.ts';

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** Feeds a golden SSE body, cut into small pieces, through a translator; returns what the client would get. */
function translate(file: string, clientWantsUsage = false, limitEvents = Infinity) {
  const translator = new GeminiStreamTranslator(TARGET, { clientWantsUsage }, 1_760_000_000);
  const parser = new SseParser();
  const payloads: string[] = [];
  const text = fixtureText(file);
  let events = 0;
  for (let i = 0; i < text.length; i += 17) {
    for (const event of parser.feed(text.slice(i, i + 17))) {
      if (events++ >= limitEvents) return { translator, payloads, chunks: parse(payloads) };
      payloads.push(...translator.onEvent(event));
    }
  }
  return { translator, payloads, chunks: parse(payloads) };
}

function parse(payloads: string[]): Chunk[] {
  return payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as Chunk);
}

describe('Gemini streams as OpenAI chunk streams', () => {
  it('sends the role first, then each text piece, then the finish reason and [DONE]', () => {
    const { translator, payloads, chunks } = translate('stream-text.sse');
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Load balancing' },
      { content: ' spreads requests' },
      { content: ' over servers.' },
      {},
    ]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, null, 'stop']);
    expect(payloads.at(-1)).toBe('[DONE]');
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-mFVjaJrTLMCTz7IPnuDp8AU']));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gemini-2.5-flash')).toBe(
      true,
    );
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(translator.finished).toBe(true);
    expect(translator.usage).toEqual({ inputTokens: 12, outputTokens: 8 });
  });

  it('adds a usage-only chunk before [DONE] when the client asked for usage', () => {
    const { payloads, chunks } = translate('stream-text.sse', true);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 });
    expect(payloads.at(-1)).toBe('[DONE]');
  });

  it('sends each whole function call as one indexed tool-call delta and finishes with tool_calls', () => {
    const { translator, chunks } = translate('stream-function-calls.sse');
    const calls = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls as unknown[] | undefined) ?? []);
    expect(calls).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      {
        index: 1,
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
      },
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(translator.usage).toEqual({ inputTokens: 80, outputTokens: 52 });
  });

  it('answers a prompt blocked at the start with a refusal and content_filter, and ends properly', () => {
    const { translator, chunks } = translate('stream-prompt-blocked.sse');
    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: 'assistant',
      content: null,
      refusal: 'The provider refused the prompt (blockReason SAFETY).',
    });
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('content_filter');
    expect(translator.finished).toBe(true);
  });

  it('is not finished when the body ends before a finish reason: a cut stream', () => {
    const { translator, payloads } = translate('stream-text.sse', false, 2);
    expect(payloads).not.toContain('[DONE]');
    expect(translator.finished).toBe(false);
  });

  it('throws an error the provider sent inside the stream as a retryable stream error', () => {
    expect(() => translate('stream-error.sse')).toThrow(UpstreamStreamError);
    try {
      translate('stream-error.sse');
    } catch (err) {
      expect(err).toMatchObject({ status: 503, code: 'UNAVAILABLE', retryable: true });
      expect((err as Error).message).toContain('The model is overloaded');
    }
  });
});
