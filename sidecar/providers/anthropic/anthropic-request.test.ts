import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Secret } from '../../core/secret.ts';
import type { TargetEndpoint } from '../adapter.ts';
import { AnthropicAdapter, messagesURL } from './anthropic-adapter.ts';
import { DEFAULT_MAX_TOKENS, toMessagesRequest } from './anthropic-request.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

const target: TargetEndpoint = {
  baseURL: 'https://api.anthropic.com',
  model: 'claude-haiku-4-5',
  apiKey: new Secret('sk-ant-test-key'),
  maxOutputTokens: undefined,
  apiVersion: undefined,
};
const adapter = new AnthropicAdapter({ now: () => 1_700_000_000_000 });
const HELLO = [{ role: 'user', content: 'Hello' }];

function translate(
  request: Record<string, unknown>,
  defaults = { maxOutputTokens: undefined as number | undefined },
) {
  return toMessagesRequest(request, { model: 'claude-haiku-4-5', ...defaults }) as unknown as Record<
    string,
    unknown
  >;
}

describe('the Anthropic request translation', () => {
  it('translates a conversation with system prompts, tool calls, tool results and images as the golden file says', () => {
    const request = fixture('request-tools.openai.json') as Record<string, unknown>;
    expect(translate(request)).toEqual(fixture('request-tools.anthropic.json'));
  });

  it.each([
    ['max_completion_tokens wins over max_tokens', { max_completion_tokens: 50, max_tokens: 70 }, 900, 50],
    ['max_tokens is used when max_completion_tokens is absent', { max_tokens: 70 }, 900, 70],
    ['the model’s maxOutputTokens fills in when the request sets none', {}, 900, 900],
    ['the documented default fills in when nothing sets a limit', {}, undefined, DEFAULT_MAX_TOKENS],
  ])('%s', (_name, fields, maxOutputTokens, expected) => {
    expect(translate({ messages: HELLO, ...fields }, { maxOutputTokens }).max_tokens).toBe(expected);
  });

  it.each([
    ['keeps a temperature inside Anthropic’s range', 0.7, 0.7],
    ['keeps zero', 0, 0],
    ['clamps an OpenAI temperature above 1 to 1', 1.8, 1],
  ])('%s', (_name, temperature, expected) => {
    expect(translate({ messages: HELLO, temperature }).temperature).toBe(expected);
  });

  it.each([
    ['auto', 'auto', { type: 'auto' }],
    ['none', 'none', { type: 'none' }],
    ['required → any', 'required', { type: 'any' }],
    [
      'a named function → tool',
      { type: 'function', function: { name: 'lookup' } },
      { type: 'tool', name: 'lookup' },
    ],
  ])('maps tool_choice %s', (_name, toolChoice, expected) => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    expect(translate({ messages: HELLO, tools, tool_choice: toolChoice }).tool_choice).toEqual(expected);
  });

  it('sends no tool_choice when the request has no tools', () => {
    const body = translate({ messages: HELLO, tool_choice: 'auto', parallel_tool_calls: false });
    expect(body.tools).toBeUndefined();
    expect(body.tool_choice).toBeUndefined();
  });

  it('gives a tool without parameters an empty object schema', () => {
    const body = translate({ messages: HELLO, tools: [{ type: 'function', function: { name: 'now' } }] });
    expect(body.tools).toEqual([{ name: 'now', input_schema: { type: 'object', properties: {} } }]);
  });

  it('implements json_schema response formats with a forced tool carrying the schema', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const body = translate({
      messages: HELLO,
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema } },
    });
    expect(body.tools).toEqual([
      expect.objectContaining({ name: STRUCTURED_OUTPUT_TOOL, input_schema: schema }),
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: STRUCTURED_OUTPUT_TOOL });
  });

  it('implements json_object with a forced tool that takes any object', () => {
    const body = translate({ messages: HELLO, response_format: { type: 'json_object' } });
    expect(body.tools).toEqual([expect.objectContaining({ input_schema: { type: 'object' } })]);
  });

  it('leaves text response formats alone', () => {
    expect(translate({ messages: HELLO, response_format: { type: 'text' } }).tools).toBeUndefined();
  });

  it('merges consecutive user messages and drops an empty assistant message between them', () => {
    const body = translate({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: '' },
        { role: 'user', content: [{ type: 'text', text: 'two' }] },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
    ]);
  });

  it('sends base64 PDF files as document blocks', () => {
    const body = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          {
            type: 'document',
            source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
            title: 'a.pdf',
          },
        ],
      },
    ]);
  });

  it('turns a single stop string into a one-element stop_sequences and drops empty ones', () => {
    expect(translate({ messages: HELLO, stop: 'STOP' }).stop_sequences).toEqual(['STOP']);
    expect(translate({ messages: HELLO, stop: [''] }).stop_sequences).toBeUndefined();
  });

  it('drops OpenAI-only fields instead of sending them (the API refuses unknown fields)', () => {
    const body = translate({
      messages: HELLO,
      stream: true,
      stream_options: { include_usage: true },
      presence_penalty: 0.5,
      seed: 7,
      n: 1,
    });
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream']);
  });
});

describe('the Anthropic upstream request', () => {
  it('posts to /v1/messages below the SDK-style base URL with key and version headers', () => {
    const upstream = adapter.buildRequest('chat', { model: 'chat', messages: HELLO }, target);
    expect(upstream.url.href).toBe('https://api.anthropic.com/v1/messages');
    expect(upstream.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': 'sk-ant-test-key',
    });
    expect(JSON.parse(upstream.body)).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: 'Hello' }],
    });
  });

  it('sends the pool’s apiVersion and asks for an event stream when streaming', () => {
    const upstream = adapter.buildRequest(
      'chat',
      { model: 'chat', messages: HELLO, stream: true },
      { ...target, apiVersion: '2023-01-01', apiKey: undefined },
    );
    expect(upstream.headers['anthropic-version']).toBe('2023-01-01');
    expect(upstream.headers.accept).toBe('text/event-stream');
    expect(upstream.headers['x-api-key']).toBeUndefined();
  });

  it.each([
    ['an origin', 'http://127.0.0.1:9002', 'http://127.0.0.1:9002/v1/messages'],
    ['an origin with a trailing slash', 'http://127.0.0.1:9002/', 'http://127.0.0.1:9002/v1/messages'],
    [
      'a gateway path prefix',
      'https://gw.example.com/anthropic',
      'https://gw.example.com/anthropic/v1/messages',
    ],
    [
      'a base URL that already ends in /v1',
      'https://api.anthropic.com/v1',
      'https://api.anthropic.com/v1/messages',
    ],
  ])('joins %s with the messages path', (_name, base, expected) => {
    expect(messagesURL(base).href).toBe(expected);
  });
});
