import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { InvalidRequestError, type OpenAIErrorBody } from '../../core/errors.ts';
import { SseParser } from '../../../core/sse/sse-parser.ts';
import { ANTHROPIC_MESSAGES_API, parseMessagesRequest } from './anthropic-messages-api.ts';

function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/** SSE text as a list of {event, data} with the data parsed, so key order and framing do not matter. */
function events(sse: string): { event: string | undefined; data: unknown }[] {
  return new SseParser().feed(sse).map((e) => ({ event: e.event, data: JSON.parse(e.data) as unknown }));
}

function encode(openAISse: string): string {
  const encoder = ANTHROPIC_MESSAGES_API.streamEncoder();
  return new SseParser()
    .feed(openAISse)
    .map((e) => encoder.encode(e.data))
    .join('');
}

const base = { model: 'chat', max_tokens: 100 };
const user = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });

function converted(raw: unknown): Record<string, unknown> {
  return parseMessagesRequest(raw).body as Record<string, unknown>;
}

describe('Anthropic requests become the internal OpenAI request', () => {
  it.each([
    {
      name: 'a plain question keeps the logical model and turns max_tokens into max_completion_tokens',
      raw: user('Hi'),
      expected: { model: 'chat', max_completion_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'a system string becomes the first message',
      raw: { ...user('Hi'), system: 'Be brief.' },
      expected: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
    },
    {
      name: 'system text blocks are joined by lines',
      raw: {
        ...user('Hi'),
        system: [
          { type: 'text', text: 'Be brief.' },
          { type: 'text', text: 'Be kind.', cache_control: { type: 'ephemeral' } },
        ],
      },
      expected: {
        messages: [
          { role: 'system', content: 'Be brief.\nBe kind.' },
          { role: 'user', content: 'Hi' },
        ],
      },
    },
    {
      name: 'a single text block becomes plain content',
      raw: user([{ type: 'text', text: 'Hi' }]),
      expected: { messages: [{ role: 'user', content: 'Hi' }] },
    },
    {
      name: 'images become image_url parts, base64 as data URLs',
      raw: user([
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ]),
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      },
    },
    {
      name: 'a PDF document becomes a file part and a text document text',
      raw: user([
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
          title: 'a.pdf',
        },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Plain words.' } },
      ]),
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'file',
                file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
              },
              { type: 'text', text: 'Plain words.' },
            ],
          },
        ],
      },
    },
    {
      name: 'a tool round trip becomes tool_calls and tool messages, tool results before the rest of the turn',
      raw: {
        ...base,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'I should call the tool.', signature: 'sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Also, thanks.' },
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18°C' }] },
            ],
          },
        ],
      },
      expected: {
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
          { role: 'user', content: 'Also, thanks.' },
        ],
      },
    },
    {
      name: 'a failed tool result says so in its text, and its images follow in a user message',
      raw: user([
        {
          type: 'tool_result',
          tool_use_id: 'toolu_2',
          is_error: true,
          content: [
            { type: 'text', text: 'camera offline' },
            { type: 'image', source: { type: 'url', url: 'https://example.com/last.jpg' } },
          ],
        },
      ]),
      expected: {
        messages: [
          { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: camera offline' },
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/last.jpg' } }],
          },
        ],
      },
    },
    {
      name: 'an assistant turn of tool calls only has null content',
      raw: {
        ...base,
        messages: [
          { role: 'user', content: 'Go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'run', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'done' }] },
        ],
      },
      expected: {
        messages: [
          { role: 'user', content: 'Go' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't', type: 'function', function: { name: 'run', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 't', content: 'done' },
        ],
      },
    },
    {
      name: 'sampling fields and stop sequences carry over; top_k has no counterpart',
      raw: {
        ...user('Hi'),
        temperature: 0.5,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
      },
      expected: { temperature: 0.5, top_p: 0.9, stop: ['END'], user: 'u-1' },
    },
    {
      name: 'tools become functions',
      raw: {
        ...user('Hi'),
        tools: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        ],
      },
      expected: {
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather for a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
      },
    },
    {
      name: 'a stream asks upstream for the usage chunk',
      raw: { ...user('Hi'), stream: true },
      expected: { stream: true, stream_options: { include_usage: true } },
    },
  ])('$name', ({ raw, expected }) => {
    expect(converted(raw)).toMatchObject(expected);
  });

  const tool = { name: 'f', input_schema: { type: 'object' } };
  it.each([
    { choice: { type: 'auto' }, expected: { tool_choice: 'auto' } },
    { choice: { type: 'any' }, expected: { tool_choice: 'required' } },
    { choice: { type: 'none' }, expected: { tool_choice: 'none' } },
    {
      choice: { type: 'tool', name: 'f' },
      expected: { tool_choice: { type: 'function', function: { name: 'f' } } },
    },
    {
      choice: { type: 'auto', disable_parallel_tool_use: true },
      expected: { tool_choice: 'auto', parallel_tool_calls: false },
    },
  ])('maps tool_choice $choice.type to $expected.tool_choice', ({ choice, expected }) => {
    expect(converted({ ...user('Hi'), tools: [tool], tool_choice: choice })).toMatchObject(expected);
  });

  it('leaves out what has no counterpart', () => {
    const body = converted({ ...user('Hi'), top_k: 5, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(Object.keys(body).sort()).toEqual(['max_completion_tokens', 'messages', 'model']);
  });

  it('says what routing needs: the logical model, streaming, usage and a token estimate', () => {
    const parsed = parseMessagesRequest({ ...user('x'.repeat(400)), max_tokens: 64, stream: true });
    expect(parsed).toMatchObject({ operation: 'chat', model: 'chat', stream: true, clientWantsUsage: true });
    expect(parsed.tokens).toEqual({ input: 101, output: 64 });
  });

  it.each([
    {
      name: 'max_tokens is missing',
      raw: { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] },
      field: 'max_tokens',
    },
    { name: 'there are no messages', raw: { ...base, messages: [] }, field: 'messages' },
    {
      name: 'a role is not user or assistant',
      raw: { ...base, messages: [{ role: 'system', content: 'x' }] },
      field: 'messages[0].role',
    },
    { name: 'temperature is above 1', raw: { ...user('Hi'), temperature: 1.5 }, field: 'temperature' },
    {
      name: 'a block type is unknown',
      raw: user([{ type: 'audio', data: 'x' }]),
      field: 'messages[0].content[0]',
    },
    {
      name: 'a tool is a server tool',
      raw: { ...user('Hi'), tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
      field: 'tools[0]',
    },
    {
      name: 'a document comes by URL',
      raw: user([{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }]),
      field: 'messages[0].content[0].source',
    },
    {
      name: 'a user turn carries tool_use',
      raw: user([{ type: 'tool_use', id: 't', name: 'f', input: {} }]),
      field: 'messages[0].content[0]',
    },
  ])('refuses a request where $name, naming the field', ({ raw, field }) => {
    let error: unknown;
    try {
      parseMessagesRequest(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain(field);
  });
});

describe('OpenAI answers become Anthropic messages', () => {
  it('turns text and tool calls into content blocks, the finish reason into a stop reason, usage into Anthropic’s', () => {
    const answer = ANTHROPIC_MESSAGES_API.answer(JSON.parse(fixture('openai-tool-answer.json')));
    expect(answer).toEqual(JSON.parse(fixture('anthropic-tool-message.json')));
  });

  const completion = (
    finish: string,
    message: Record<string, unknown> = { role: 'assistant', content: 'ok' },
  ) => ({
    id: 'chatcmpl-1',
    model: 'm',
    choices: [{ index: 0, message, finish_reason: finish }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  });

  it.each([
    { finish: 'stop', stopReason: 'end_turn' },
    { finish: 'length', stopReason: 'max_tokens' },
    { finish: 'tool_calls', stopReason: 'tool_use' },
    { finish: 'content_filter', stopReason: 'refusal' },
    { finish: 'something_new', stopReason: 'end_turn' },
  ])('maps finish_reason $finish to stop_reason $stopReason', ({ finish, stopReason }) => {
    expect(ANTHROPIC_MESSAGES_API.answer(completion(finish))).toMatchObject({
      stop_reason: stopReason,
      stop_sequence: null,
    });
  });

  it('answers an empty content list when the model said nothing', () => {
    const answer = ANTHROPIC_MESSAGES_API.answer(
      completion('content_filter', { role: 'assistant', content: null }),
    );
    expect(answer).toMatchObject({ content: [], usage: { input_tokens: 5, output_tokens: 2 } });
  });

  it('keeps tool arguments that are not a JSON object rather than losing them', () => {
    const message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"cut' } }],
    };
    expect(ANTHROPIC_MESSAGES_API.answer(completion('tool_calls', message))).toMatchObject({
      content: [{ type: 'tool_use', id: 'c', name: 'f', input: { _raw: '{"cut' } }],
    });
  });
});

describe('OpenAI streams become Anthropic streams', () => {
  it.each([
    { name: 'a text answer', input: 'openai-text-stream.sse', expected: 'anthropic-text-stream.sse' },
    {
      name: 'text followed by two tool calls',
      input: 'openai-tool-stream.sse',
      expected: 'anthropic-tool-stream.sse',
    },
  ])('encodes $name as Anthropic events, block by block', ({ input, expected }) => {
    expect(events(encode(fixture(input)))).toEqual(events(fixture(expected)));
  });

  it('names every SSE event by its type', () => {
    for (const e of events(encode(fixture('openai-tool-stream.sse')))) {
      expect(e.event).toBe((e.data as { type: string }).type);
    }
  });

  it('starts the message at the first chunk, so the client sees it at once', () => {
    const encoder = ANTHROPIC_MESSAGES_API.streamEncoder();
    const first = new SseParser().feed(fixture('openai-text-stream.sse'))[0]?.data ?? '';
    expect(events(encoder.encode(first)).map((e) => e.event)).toEqual(['message_start']);
  });

  it('ends a stream cut after it began with an error event and no message_stop', () => {
    const encoder = ANTHROPIC_MESSAGES_API.streamEncoder();
    const chunks = new SseParser().feed(fixture('openai-text-stream.sse'));
    let out = chunks
      .slice(0, 2)
      .map((c) => encoder.encode(c.data))
      .join('');
    const cut: OpenAIErrorBody = {
      error: {
        message: 'the stream ended early',
        type: 'api_error',
        param: null,
        code: 'stream_interrupted',
      },
    };
    out += encoder.fail(cut);
    const all = events(out);
    expect(all.at(-1)).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'the stream ended early' } },
    });
    expect(all.some((e) => e.event === 'message_stop')).toBe(false);
  });
});

describe('errors in Anthropic’s shape', () => {
  const body = (type: string): OpenAIErrorBody => ({
    error: { message: 'why', type, param: 'model', code: 'x' },
  });
  it.each([
    { status: 400, type: 'invalid_request_error' },
    { status: 401, type: 'authentication_error' },
    { status: 403, type: 'permission_error' },
    { status: 404, type: 'not_found_error' },
    { status: 405, type: 'invalid_request_error' },
    { status: 413, type: 'request_too_large' },
    { status: 429, type: 'rate_limit_error' },
    { status: 500, type: 'api_error' },
    { status: 502, type: 'api_error' },
    { status: 503, type: 'overloaded_error' },
    { status: 504, type: 'api_error' },
  ])('answers HTTP $status as $type', ({ status, type }) => {
    expect(ANTHROPIC_MESSAGES_API.error(status, body('invalid_request_error'))).toEqual({
      type: 'error',
      error: { type, message: 'why' },
    });
  });
});
