import { describe, expect, it } from '@jest/globals';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';

const adapter = new AnthropicAdapter();
const HELLO = [{ role: 'user', content: 'Hello' }];
const TOOLS = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];

function reason(fields: Record<string, unknown>): string | undefined {
  return adapter.unsupported('chat', { model: 'chat', messages: HELLO, ...fields });
}

describe('what the Anthropic dialect refuses', () => {
  it.each([
    ['several choices (n > 1)', { n: 2 }, 'n > 1'],
    ['log probabilities', { logprobs: true }, 'logprobs'],
    ['top log probabilities', { top_logprobs: 3 }, 'logprobs'],
    ['audio output', { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
    ['token biases', { logit_bias: { '50256': -100 } }, 'logit_bias'],
    ['legacy functions', { functions: [{ name: 'f' }] }, 'legacy functions'],
    ['predicted outputs', { prediction: { type: 'content', content: 'x' } }, 'prediction'],
    ['web search options', { web_search_options: {} }, 'web_search_options'],
    ['non-function tools', { tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'only function tools'],
    [
      'a tool whose parameters are not an object schema',
      { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
      'object schema',
    ],
    [
      'a tool named like the JSON-mode tool',
      { tools: [{ type: 'function', function: { name: STRUCTURED_OUTPUT_TOOL } }] },
      'reserved',
    ],
    [
      'allowed_tools tool choices',
      { tools: TOOLS, tool_choice: { type: 'allowed_tools', allowed_tools: {} } },
      'tool_choice',
    ],
    [
      'JSON mode together with tools',
      { tools: TOOLS, response_format: { type: 'json_object' } },
      'together with tools',
    ],
    [
      'a JSON schema that is not an object',
      { response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'array' } } } },
      'object schema',
    ],
    ['an unknown response format', { response_format: { type: 'grammar' } }, 'response_format type'],
    [
      'audio input',
      {
        messages: [
          { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] },
        ],
      },
      'no audio input',
    ],
    [
      'images of a type Anthropic does not take',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }],
          },
        ],
      },
      'image/bmp',
    ],
    [
      'images neither http nor data URLs',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] },
      'http(s)',
    ],
    [
      'OpenAI file ids',
      { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] },
      'file ids',
    ],
    [
      'files that are not PDFs',
      {
        messages: [
          { role: 'user', content: [{ type: 'file', file: { file_data: 'data:text/csv;base64,YQ==' } }] },
        ],
      },
      'PDF',
    ],
    [
      'tool calls whose arguments are not JSON',
      {
        messages: [
          ...HELLO,
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }],
          },
        ],
      },
      'not valid JSON',
    ],
    [
      'tool calls whose arguments are not an object',
      {
        messages: [
          ...HELLO,
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }],
          },
        ],
      },
      'JSON object',
    ],
    [
      'tool messages without a tool_call_id',
      { messages: [...HELLO, { role: 'tool', content: 'x' }] },
      'tool_call_id',
    ],
    [
      'legacy function messages',
      { messages: [...HELLO, { role: 'function', name: 'f', content: 'x' }] },
      'role "function"',
    ],
    [
      'images in a system message',
      {
        messages: [
          { role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
          ...HELLO,
        ],
      },
      'only text',
    ],
    [
      'a conversation of system messages only',
      { messages: [{ role: 'system', content: 'Be nice.' }] },
      'at least one user or assistant message',
    ],
  ])('refuses %s', (_name, fields, expected) => {
    expect(reason(fields)).toContain(expected);
  });

  it.each([
    ['a plain chat', {}],
    ['n = 1 and logprobs false', { n: 1, logprobs: false }],
    ['sampling hints it drops', { presence_penalty: 0.3, frequency_penalty: 0.2, seed: 1, logit_bias: {} }],
    [
      'tools with every tool_choice form',
      { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'lookup' } } },
    ],
    ['JSON mode', { response_format: { type: 'json_object' } }],
    [
      'http and data images',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
            ],
          },
        ],
      },
    ],
  ])('accepts %s', (_name, fields) => {
    expect(reason(fields)).toBeUndefined();
  });

  it('lists every refused feature of a request at once', () => {
    expect(reason({ n: 3, logprobs: true })).toMatch(/n > 1.*; logprobs/);
  });

  it('offers no embeddings', () => {
    expect(adapter.operations.has('embeddings')).toBe(false);
    expect(adapter.unsupported('embeddings', { model: 'embed', input: 'x' })).toContain('embeddings');
  });
});
