/**
 * What each dialect's stream translator says about the answer, which the request path trusts instead of asking
 * for the provider's name: has it started (the first token), is it complete (every finish reason), did the
 * terminal event come, and is an in-stream error a failure another provider may not have.
 */
import { describe, expect, it } from '@jest/globals';
import { UpstreamStreamError } from '../core/errors.ts';
import type { ProviderType } from '../../api/v1alpha1/providerpool.ts';
import type { StreamTranslator, UpstreamEvent } from './adapter.ts';
import { adapterFor } from './registry.ts';
import { testEndpoint } from './test-endpoint.ts';

const endpoint = testEndpoint();

function translator(dialect: ProviderType, options: { choices?: number } = {}): StreamTranslator {
  const adapter = adapterFor(dialect);
  if (!adapter) throw new Error(`no adapter for ${dialect}`);
  return adapter.createStreamTranslator(endpoint, { clientWantsUsage: false, ...options });
}

const openaiChunk = (choices: object[]) =>
  JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices });
const ROLE_ONLY = openaiChunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
const TEXT = openaiChunk([{ index: 0, delta: { content: 'Hi' }, finish_reason: null }]);
const FINISH = openaiChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
const ev = (data: string, event?: string): UpstreamEvent => (event ? { event, data } : { data });

const anthropic = {
  start: ev(JSON.stringify({ type: 'message_start', message: { id: 'msg', model: 'm', usage: {} } })),
  block: ev(
    JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ),
  text: ev(
    JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
  ),
  delta: ev(JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: {} })),
};
const gemini = {
  text: ev(JSON.stringify({ candidates: [{ index: 0, content: { parts: [{ text: 'Hi' }] } }] })),
  finish: ev(JSON.stringify({ candidates: [{ index: 0, content: { parts: [] }, finishReason: 'STOP' }] })),
};

interface Case {
  name: string;
  dialect: ProviderType;
  events: UpstreamEvent[];
  choices?: number;
  expected: { answering: boolean; complete: boolean; finished: boolean; closing?: string[] };
}

const CASES: Case[] = [
  {
    name: 'an OpenAI role-only opener has not started the answer',
    dialect: 'openai',
    events: [ev(ROLE_ONLY)],
    expected: { answering: false, complete: false, finished: false },
  },
  {
    name: 'an OpenAI content chunk starts the answer',
    dialect: 'openai',
    events: [ev(ROLE_ONLY), ev(TEXT)],
    expected: { answering: true, complete: false, finished: false },
  },
  {
    name: 'an OpenAI stream that stops after its finish reason is complete and closed with [DONE]',
    dialect: 'openai-compatible',
    events: [ev(ROLE_ONLY), ev(TEXT), ev(FINISH)],
    expected: { answering: true, complete: true, finished: false, closing: ['[DONE]'] },
  },
  {
    name: 'an OpenAI finish reason written with spaces (Python servers) counts too',
    dialect: 'openai-compatible',
    events: [ev(TEXT), ev('{"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}')],
    expected: { answering: true, complete: true, finished: false, closing: ['[DONE]'] },
  },
  {
    name: 'an OpenAI stream asked for two choices is not complete with one finish reason',
    dialect: 'openai',
    choices: 2,
    events: [ev(TEXT), ev(FINISH)],
    expected: { answering: true, complete: false, finished: false },
  },
  {
    name: 'an OpenAI stream with [DONE] is finished',
    dialect: 'openai',
    events: [ev(TEXT), ev(FINISH), ev('[DONE]')],
    expected: { answering: true, complete: true, finished: true },
  },
  {
    name: 'an Azure stream that stops after its finish reason is complete',
    dialect: 'azure-openai',
    events: [ev(TEXT), ev(FINISH)],
    expected: { answering: true, complete: true, finished: false, closing: ['[DONE]'] },
  },
  {
    name: 'an Anthropic message_start alone has not started the answer',
    dialect: 'anthropic',
    events: [anthropic.start, anthropic.block],
    expected: { answering: false, complete: false, finished: false },
  },
  {
    name: 'an Anthropic stream that stops after message_delta is complete and closed with [DONE]',
    dialect: 'anthropic',
    events: [anthropic.start, anthropic.block, anthropic.text, anthropic.delta],
    expected: { answering: true, complete: true, finished: false, closing: ['[DONE]'] },
  },
  {
    name: 'a Gemini stream is finished the moment every candidate has its finish reason',
    dialect: 'gemini',
    events: [gemini.text, gemini.finish],
    expected: { answering: true, complete: true, finished: true },
  },
  {
    name: 'a Gemini stream without a finish reason is not complete',
    dialect: 'gemini',
    events: [gemini.text],
    expected: { answering: true, complete: false, finished: false },
  },
];

describe('what a stream translator says about the answer', () => {
  it.each(CASES)('$name', ({ dialect, events, choices, expected }) => {
    const t = translator(dialect, choices === undefined ? {} : { choices });
    for (const event of events) t.onEvent(event);
    expect({ answering: t.answering, complete: t.complete, finished: t.finished }).toEqual({
      answering: expected.answering,
      complete: expected.complete,
      finished: expected.finished,
    });
    if (expected.closing) {
      expect(t.closeComplete().at(-1)).toBe(expected.closing.at(-1));
      expect(t.finished).toBe(true);
    }
  });
});

describe('an OpenAI-style error frame inside a 200 stream', () => {
  it.each([
    {
      name: 'a server error is a retryable 500',
      error: { message: 'boom', type: 'server_error' },
      status: 500,
    },
    {
      name: 'an overload is a retryable 503',
      error: { message: 'busy', type: 'overloaded_error' },
      status: 503,
    },
    {
      name: 'a rate limit is a retryable 429',
      error: { message: 'slow', code: 'rate_limit_exceeded' },
      status: 429,
    },
    {
      name: 'a bad request is a 400 not retried',
      error: { message: 'bad', type: 'invalid_request_error' },
      status: 400,
    },
    {
      name: 'vLLM’s numeric code is the status',
      error: { message: 'bad', type: 'BadRequestError', code: 400 },
      status: 400,
    },
    { name: 'an unnamed error is a retryable bad gateway', error: { message: '?' }, status: 502 },
  ])('$name', ({ error, status }) => {
    for (const dialect of ['openai', 'openai-compatible', 'azure-openai'] as const) {
      const t = translator(dialect);
      t.onEvent(ev(ROLE_ONLY));
      let thrown: unknown;
      try {
        t.onEvent(ev(JSON.stringify({ error })));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UpstreamStreamError);
      const e = thrown as UpstreamStreamError;
      expect([e.status, e.retryable]).toEqual([status, status >= 429]);
    }
  });

  it('content that merely says "error" is content', () => {
    const t = translator('openai');
    const chunk = openaiChunk([{ index: 0, delta: { content: 'error' }, finish_reason: null }]);
    expect(t.onEvent(ev(chunk))).toEqual([chunk]);
    expect(t.answering).toBe(true);
  });
});
