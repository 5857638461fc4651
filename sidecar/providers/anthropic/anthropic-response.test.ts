import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AnthropicAdapter } from './anthropic-adapter.ts';
import { STRUCTURED_OUTPUT_TOOL } from './convert-tools.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

const target = {
  baseURL: 'https://api.anthropic.com',
  model: 'claude-haiku-4-5',
  apiKey: undefined,
  maxOutputTokens: undefined,
  apiVersion: undefined,
};
const adapter = new AnthropicAdapter({ now: () => 1_700_000_000_000 });
const REQUEST = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };

function message(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5',
    content: [{ type: 'text', text: 'Hi' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 2 },
    ...fields,
  };
}

function choiceOf(body: unknown) {
  return (body as { choices: { message: Record<string, unknown>; finish_reason: string }[] }).choices[0];
}

describe('the Anthropic response translation', () => {
  it.each([
    [
      'a text answer with cache tokens',
      'text-message.json',
      'text-message.openai.json',
      { inputTokens: 3195, outputTokens: 503 },
    ],
    [
      'parallel tool calls after some text',
      'tool-use-message.json',
      'tool-use-message.openai.json',
      { inputTokens: 472, outputTokens: 131 },
    ],
  ])('translates %s as the golden file says', (_name, input, expected, usage) => {
    const out = adapter.translateResponse('chat', fixture(input), target, REQUEST);
    expect(out.body).toEqual(fixture(expected));
    expect(out.usage).toEqual(usage);
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['a stop reason added after this was written', 'stop'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finish) => {
    expect(
      choiceOf(adapter.translateResponse('chat', message({ stop_reason: stopReason }), target, REQUEST).body)
        ?.finish_reason,
    ).toBe(finish);
  });

  it('gives null content when the answer is only tool calls', () => {
    const body = message({
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }],
      stop_reason: 'tool_use',
    });
    const msg = choiceOf(adapter.translateResponse('chat', body, target, REQUEST).body)?.message;
    expect(msg?.content).toBeNull();
    expect(msg?.tool_calls).toEqual([
      { id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{}' } },
    ]);
  });

  it('turns the JSON-mode tool call back into message content that ends normally', () => {
    const body = message({
      content: [{ type: 'tool_use', id: 'toolu_1', name: STRUCTURED_OUTPUT_TOOL, input: { city: 'Paris' } }],
      stop_reason: 'tool_use',
    });
    const choice = choiceOf(adapter.translateResponse('chat', body, target, REQUEST).body);
    expect(choice?.message.content).toBe('{"city":"Paris"}');
    expect(choice?.message.tool_calls).toBeUndefined();
    expect(choice?.finish_reason).toBe('stop');
  });

  it('leaves thinking blocks out of the answer', () => {
    const body = message({
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'redacted_thinking', data: 'xyz' },
        { type: 'text', text: 'Answer' },
      ],
    });
    expect(choiceOf(adapter.translateResponse('chat', body, target, REQUEST).body)?.message.content).toBe(
      'Answer',
    );
  });

  it('reports no usage when the provider sent none', () => {
    const out = adapter.translateResponse('chat', message({ usage: undefined }), target, REQUEST);
    expect(out.usage).toBeUndefined();
    expect((out.body as Record<string, unknown>).usage).toBeUndefined();
  });

  it('dates the answer by the adapter’s clock, as Anthropic’s answers carry no timestamp', () => {
    expect(
      (adapter.translateResponse('chat', message({}), target, REQUEST).body as { created: number }).created,
    ).toBe(1_700_000_000);
  });
});
