import { describe, expect, it } from '@jest/globals';
import { translateChatRequest } from './chat-request.ts';
import { UNKNOWN_THOUGHT_SIGNATURE } from './chat-messages.ts';
import { TARGET } from './test-support.ts';
import { UntranslatableRequest, untranslatableReason } from './untranslatable.ts';

const user = (content: unknown) => ({ role: 'user', content });
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'chat', messages: [user('Hi')], ...extra });
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};
const TIME_TOOL = { type: 'function', function: { name: 'get_time' } };

describe('Gemini chat request translation', () => {
  it('puts system and developer messages into systemInstruction and maps roles to user and model', () => {
    const out = translateChatRequest(
      {
        model: 'chat',
        messages: [
          { role: 'system', content: 'Be brief.' },
          user('Hi'),
          { role: 'assistant', content: 'Hello!' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          user('How are you?'),
        ],
      },
      TARGET,
    );
    expect(out).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello!' }] },
        { role: 'user', parts: [{ text: 'How are you?' }] },
      ],
    });
  });

  it('merges neighbouring messages of one role into one turn and leaves empty text out', () => {
    const out = translateChatRequest({ model: 'chat', messages: [user('a'), user(''), user('b')] }, TARGET);
    expect(out.contents).toEqual([{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }]);
  });

  it('sends data-URL images, audio and files inline', () => {
    const out = translateChatRequest(
      chat({
        messages: [
          user([
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ]),
        ],
      }),
      TARGET,
    );
    expect(out.contents[0]?.parts).toEqual([
      { text: 'What is this?' },
      { inlineData: { mimeType: 'image/png', data: PNG } },
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  const generationCases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'maps temperature, top_p, stop, n, penalties and seed',
      {
        temperature: 0.2,
        top_p: 0.9,
        stop: ['END', 'STOP'],
        n: 2,
        presence_penalty: 0.5,
        frequency_penalty: 0.1,
        seed: 7,
      },
      {
        temperature: 0.2,
        topP: 0.9,
        stopSequences: ['END', 'STOP'],
        candidateCount: 2,
        presencePenalty: 0.5,
        frequencyPenalty: 0.1,
        seed: 7,
      },
    ],
    ['takes a single stop string as one stop sequence', { stop: 'END' }, { stopSequences: ['END'] }],
    [
      'prefers max_completion_tokens over max_tokens',
      { max_tokens: 10, max_completion_tokens: 20 },
      { maxOutputTokens: 20 },
    ],
    ['takes max_tokens when it is the only limit', { max_tokens: 10 }, { maxOutputTokens: 10 }],
    [
      'asks for JSON in JSON mode',
      { response_format: { type: 'json_object' } },
      { responseMimeType: 'application/json' },
    ],
    [
      'hands a JSON schema over as it is',
      {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', strict: true, schema: { type: 'object', additionalProperties: false } },
        },
      },
      {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', additionalProperties: false },
      },
    ],
    ['sends nothing for text response format and n = 1', { response_format: { type: 'text' }, n: 1 }, {}],
  ];
  it.each(generationCases)('%s', (_name, extra, expected) => {
    const out = translateChatRequest(chat(extra), TARGET);
    expect(out.generationConfig ?? {}).toEqual(expected);
  });

  it("uses the model's configured maxOutputTokens when the request sets no limit", () => {
    const out = translateChatRequest(chat(), { ...TARGET, maxOutputTokens: 512 });
    expect(out.generationConfig).toEqual({ maxOutputTokens: 512 });
    const own = translateChatRequest(chat({ max_tokens: 5 }), { ...TARGET, maxOutputTokens: 512 });
    expect(own.generationConfig).toEqual({ maxOutputTokens: 5 });
  });

  it('declares tools as functionDeclarations with their JSON Schema', () => {
    const out = translateChatRequest(chat({ tools: [WEATHER_TOOL, TIME_TOOL] }), TARGET);
    expect(out.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather in a city',
            parametersJsonSchema: WEATHER_TOOL.function.parameters,
          },
          { name: 'get_time' },
        ],
      },
    ]);
    expect(out.toolConfig).toBeUndefined();
  });

  const choiceCases: [string, unknown, unknown, string[]][] = [
    ['auto → AUTO', 'auto', { mode: 'AUTO' }, ['get_weather', 'get_time']],
    ['none → NONE', 'none', { mode: 'NONE' }, ['get_weather', 'get_time']],
    ['required → ANY', 'required', { mode: 'ANY' }, ['get_weather', 'get_time']],
    [
      'a named function → ANY with that function allowed',
      { type: 'function', function: { name: 'get_time' } },
      { mode: 'ANY', allowedFunctionNames: ['get_time'] },
      ['get_weather', 'get_time'],
    ],
    [
      'allowed_tools required → ANY with those functions',
      {
        type: 'allowed_tools',
        allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] },
      },
      { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
      ['get_weather'],
    ],
    [
      'allowed_tools auto → AUTO over only those functions (Gemini names functions only with ANY)',
      {
        type: 'allowed_tools',
        allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get_time' } }] },
      },
      { mode: 'AUTO' },
      ['get_time'],
    ],
  ];
  it.each(choiceCases)('maps tool_choice %s', (_name, toolChoice, config, declared) => {
    const out = translateChatRequest(
      chat({ tools: [WEATHER_TOOL, TIME_TOOL], tool_choice: toolChoice }),
      TARGET,
    );
    expect(out.toolConfig).toEqual({ functionCallingConfig: config });
    expect(out.tools?.[0]?.functionDeclarations.map((d) => d.name)).toEqual(declared);
  });

  it('replays tool calls as functionCall parts and answers them with functionResponse parts in one turn', () => {
    const out = translateChatRequest(
      {
        model: 'chat',
        messages: [
          user('Weather and time in Paris?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_2', content: '12:00' },
          { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
        ],
        tools: [WEATHER_TOOL, TIME_TOOL],
      },
      TARGET,
    );
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather and time in Paris?' }] },
      {
        role: 'model',
        parts: [
          {
            functionCall: { name: 'get_weather', args: { city: 'Paris' } },
            thoughtSignature: UNKNOWN_THOUGHT_SIGNATURE,
          },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_time', response: { output: '12:00' } } },
          { functionResponse: { name: 'get_weather', response: { celsius: 21 } } },
        ],
      },
    ]);
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    [
      'an http image URL',
      { messages: [user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }])] },
      /data: URL/,
    ],
    ['logprobs', { logprobs: true }, /logprobs/],
    ['logit_bias', { logit_bias: { '50256': -100 } }, /logit_bias/],
    [
      'audio output',
      { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } },
      /text output/,
    ],
    ['legacy functions', { functions: [{ name: 'f' }] }, /legacy functions/],
    ['a non-function tool', { tools: [{ type: 'custom', custom: { name: 'x' } }] }, /"custom" tools/],
    [
      'a tool_choice naming an undeclared function',
      { tools: [TIME_TOOL], tool_choice: { type: 'function', function: { name: 'nope' } } },
      /not among the tools/,
    ],
    [
      'tool arguments that are not a JSON object',
      {
        messages: [
          user('x'),
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }],
          },
        ],
      },
      /JSON object/,
    ],
    [
      'a tool message answering no known call',
      { messages: [user('x'), { role: 'tool', tool_call_id: 'missing', content: 'r' }] },
      /matches no earlier assistant tool call/,
    ],
    ['a file by id', { messages: [user([{ type: 'file', file: { file_id: 'file-1' } }])] }, /file_id/],
    [
      'only system messages',
      { messages: [{ role: 'system', content: 'x' }] },
      /at least one user or assistant message/,
    ],
    ['a response_format Gemini lacks', { response_format: { type: 'grammar' } }, /response_format "grammar"/],
  ];
  it.each(refusals)('refuses %s with a reason', (_name, extra, reason) => {
    const found = untranslatableReason(() => translateChatRequest(chat(extra), TARGET));
    expect(found).toMatch(reason);
    expect(() => translateChatRequest(chat(extra), TARGET)).toThrow(UntranslatableRequest);
  });

  it('ignores fields that do not change the answer', () => {
    const out = translateChatRequest(
      chat({
        user: 'u1',
        metadata: { a: 'b' },
        store: false,
        parallel_tool_calls: true,
        stream: true,
        stream_options: { include_usage: true },
      }),
      TARGET,
    );
    expect(out).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });
});
