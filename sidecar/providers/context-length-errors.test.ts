import { describe, expect, it } from '@jest/globals';
import type { ProviderType } from '../../api/v1alpha1/providerpool.ts';
import { UpstreamStreamError } from '../core/errors.ts';
import { adapterFor } from './registry.ts';

const adapter = (dialect: ProviderType) => {
  const a = adapterFor(dialect);
  if (!a) throw new Error(`no adapter for ${dialect}`);
  return a;
};

/** Each dialect reads its own way of saying "too long for this model" (and nothing else says it). */
const CASES: { name: string; dialect: ProviderType; status: number; body: unknown; tooLong: boolean }[] = [
  {
    name: 'OpenAI’s 400 context_length_exceeded',
    dialect: 'openai',
    status: 400,
    body: {
      error: {
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
    tooLong: true,
  },
  {
    name: 'an OpenAI-compatible server’s (vLLM) sentence without the code',
    dialect: 'openai-compatible',
    status: 400,
    body: {
      object: 'error',
      message:
        "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
      type: 'BadRequestError',
      code: 400,
    },
    tooLong: true,
  },
  {
    name: 'Azure OpenAI’s context_length_exceeded',
    dialect: 'azure-openai',
    status: 400,
    body: { error: { code: 'context_length_exceeded', message: 'too many tokens' } },
    tooLong: true,
  },
  {
    name: 'Anthropic’s 400 "prompt is too long"',
    dialect: 'anthropic',
    status: 400,
    body: {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
    },
    tooLong: true,
  },
  {
    name: 'Anthropic’s 400 for input plus max_tokens over the limit',
    dialect: 'anthropic',
    status: 400,
    body: {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message:
          'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again',
      },
    },
    tooLong: true,
  },
  {
    name: 'Gemini’s 400 INVALID_ARGUMENT naming the input token count',
    dialect: 'gemini',
    status: 400,
    body: {
      error: {
        code: 400,
        message: 'The input token count (1189999) exceeds the maximum number of tokens allowed (1048576).',
        status: 'INVALID_ARGUMENT',
      },
    },
    tooLong: true,
  },
  {
    name: 'an OpenAI 400 about something else is not',
    dialect: 'openai',
    status: 400,
    body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', code: null } },
    tooLong: false,
  },
  {
    name: 'an Anthropic 400 about something else is not',
    dialect: 'anthropic',
    status: 400,
    body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages: field required' } },
    tooLong: false,
  },
  {
    name: 'a Gemini 400 about something else is not',
    dialect: 'gemini',
    status: 400,
    body: { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } },
    tooLong: false,
  },
];

describe('reading a provider’s context-length error', () => {
  it.each(CASES)('$name', ({ dialect, status, body, tooLong }) => {
    expect(adapter(dialect).parseError(status, JSON.stringify(body)).contextLengthExceeded === true).toBe(
      tooLong,
    );
  });
});

/** The same faults reported inside a 200 stream, as the dialects send them. */
const STREAM_CASES: {
  name: string;
  dialect: ProviderType;
  event: { event?: string; data: string };
  quota: boolean;
  tooLong: boolean;
}[] = [
  {
    name: 'OpenAI’s in-stream insufficient_quota says the quota is used up',
    dialect: 'openai',
    event: {
      data: JSON.stringify({
        error: {
          message: 'You exceeded your current quota',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      }),
    },
    quota: true,
    tooLong: false,
  },
  {
    name: 'OpenAI’s in-stream context_length_exceeded says the request is too long',
    dialect: 'openai',
    event: {
      data: JSON.stringify({
        error: { message: 'too long', type: 'invalid_request_error', code: 'context_length_exceeded' },
      }),
    },
    quota: false,
    tooLong: true,
  },
  {
    name: 'OpenAI’s in-stream rate limit is neither',
    dialect: 'openai',
    event: {
      data: JSON.stringify({
        error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit_exceeded' },
      }),
    },
    quota: false,
    tooLong: false,
  },
  {
    name: 'Anthropic’s in-stream billing_error says the quota is used up',
    dialect: 'anthropic',
    event: {
      event: 'error',
      data: JSON.stringify({
        type: 'error',
        error: { type: 'billing_error', message: 'credit balance is too low' },
      }),
    },
    quota: true,
    tooLong: false,
  },
];

describe('reading quota and context-length errors inside a stream', () => {
  it.each(STREAM_CASES)('$name', ({ dialect, event, quota, tooLong }) => {
    const a = adapter(dialect);
    const translator = a.createStreamTranslator(
      {
        baseURL: 'http://x.test',
        model: 'm',
        apiKey: undefined,
        maxOutputTokens: undefined,
        apiVersion: undefined,
      },
      { clientWantsUsage: false },
    );
    let thrown: unknown;
    try {
      translator.onEvent(event);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UpstreamStreamError);
    const err = thrown as UpstreamStreamError;
    expect({ quota: err.quotaExhausted, tooLong: err.contextLengthExceeded }).toEqual({ quota, tooLong });
  });
});
