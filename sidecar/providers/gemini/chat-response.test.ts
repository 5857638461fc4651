import { describe, expect, it } from '@jest/globals';
import { UpstreamStreamError } from '../../core/errors.ts';
import { translateChatResponse } from './chat-response.ts';
import { translateEmbeddingsResponse } from './embeddings.ts';
import { fixture, TARGET } from './test-support.ts';

const NOW = 1_760_000_000;

describe('Gemini answers as OpenAI chat completions', () => {
  it('joins the text parts, maps STOP to stop and counts thinking tokens as completion tokens', () => {
    const { body, usage } = translateChatResponse(fixture('generate-content-text.json'), TARGET, NOW);
    expect(body).toEqual({
      id: 'chatcmpl-3wVjaKrGI_qCz7IPxs6V-A8',
      object: 'chat.completion',
      created: NOW,
      model: 'gemini-2.5-flash',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Load balancing spreads requests over several servers.',
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 33,
        total_tokens: 45,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 24 },
      },
    });
    expect(usage).toEqual({ inputTokens: 12, outputTokens: 33 });
  });

  it('turns function calls into tool_calls with fresh ids and JSON arguments, finishing with tool_calls', () => {
    const { body } = translateChatResponse(fixture('generate-content-function-calls.json'), TARGET, NOW);
    const choice = (
      body as { choices: { message: { content: unknown; tool_calls: unknown[] }; finish_reason: string }[] }
    ).choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_[0-9a-f]{32}$/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      },
      {
        id: expect.stringMatching(/^call_[0-9a-f]{32}$/),
        type: 'function',
        function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
      },
    ]);
  });

  it('answers every candidate as a choice, MAX_TOKENS as length, with cached tokens reported', () => {
    const { body } = translateChatResponse(fixture('generate-content-max-tokens.json'), TARGET, NOW);
    expect(body).toMatchObject({
      model: 'gemini-2.5-flash-lite',
      choices: [
        { index: 0, message: { content: 'The first' }, finish_reason: 'length' },
        { index: 1, message: { content: 'In short' }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 2 } },
    });
    expect((body as { id: string }).id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  });

  const filtered: [string, string, unknown][] = [
    ['an answer stopped for SAFETY', 'generate-content-safety.json', { content: '', refusal: null }],
    [
      'a prompt blocked outright',
      'generate-content-prompt-blocked.json',
      { content: null, refusal: 'The provider refused the prompt (blockReason PROHIBITED_CONTENT).' },
    ],
  ];
  it.each(filtered)('answers %s as content_filter', (_name, file, message) => {
    const { body, usage } = translateChatResponse(fixture(file), TARGET, NOW);
    expect(body).toMatchObject({ choices: [{ index: 0, message, finish_reason: 'content_filter' }] });
    expect(usage?.inputTokens).toBeGreaterThan(0);
  });

  it('treats an answer with neither candidates nor a block reason as a provider failure', () => {
    expect(() => translateChatResponse({ usageMetadata: {} }, TARGET, NOW)).toThrow(UpstreamStreamError);
  });
});

describe('Gemini embeddings as an OpenAI embeddings list', () => {
  it('keeps order and values as floats, with no usage when Gemini reports none', () => {
    const { body, usage } = translateEmbeddingsResponse(fixture('batch-embed-contents.json'), TARGET, {});
    expect(body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.25, -0.5, 0.125] },
        { object: 'embedding', index: 1, embedding: [1, 0, -1] },
      ],
      model: 'gemini-2.5-flash',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
    expect(usage).toBeUndefined();
  });

  it('encodes the values as base64 float32 when the app asked for base64', () => {
    const { body } = translateEmbeddingsResponse(fixture('batch-embed-contents.json'), TARGET, {
      encoding_format: 'base64',
    });
    const first = (body as { data: { embedding: string }[] }).data[0]?.embedding ?? '';
    const bytes = Buffer.from(first, 'base64');
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    expect([...floats]).toEqual([0.25, -0.5, 0.125]);
  });
});
