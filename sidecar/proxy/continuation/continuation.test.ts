import { describe, expect, it } from '@jest/globals';
import { continuationRequest, type ContinuationRequest } from './continuation-request.ts';
import { ContinuationRelay } from './continuation-relay.ts';
import { readPartialAnswer, type PartialReading } from './partial-answer.ts';

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 100,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  });

const IDENTITY = { id: 'chatcmpl-1', model: 'gpt-4o-mini', created: 100 };

describe('reading what the client has of an interrupted answer', () => {
  const cases: { name: string; payloads: string[]; expected: PartialReading }[] = [
    {
      name: 'text in pieces after a role opener is the text, with the first chunk’s identity',
      payloads: [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hello' }),
        chunk({ content: ' wor' }),
      ],
      expected: { kind: 'continuable', answer: { text: 'Hello wor', identity: IDENTITY } },
    },
    {
      name: 'a tool call cannot be continued',
      payloads: [
        chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f' } }] }),
      ],
      expected: { kind: 'not-continuable', reason: 'the answer is a tool call' },
    },
    {
      name: 'text followed by a tool call cannot be continued',
      payloads: [
        chunk({ content: 'Let me look.' }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{' } }] }),
      ],
      expected: { kind: 'not-continuable', reason: 'the answer is a tool call' },
    },
    {
      name: 'a refusal cannot be continued',
      payloads: [chunk({ refusal: 'I cannot' })],
      expected: { kind: 'not-continuable', reason: 'the answer is a refusal' },
    },
    {
      name: 'a second choice cannot be continued',
      payloads: [
        JSON.stringify({ id: 'x', choices: [{ index: 1, delta: { content: 'b' }, finish_reason: null }] }),
      ],
      expected: { kind: 'not-continuable', reason: 'the answer has several choices' },
    },
    {
      name: 'a finished choice has nothing to continue',
      payloads: [JSON.stringify({ id: 'x', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })],
      expected: { kind: 'not-continuable', reason: 'the answer had already finished' },
    },
    {
      name: 'nothing sent is nothing to continue',
      payloads: [],
      expected: { kind: 'not-continuable', reason: 'nothing of the answer was sent' },
    },
  ];
  it.each(cases)('$name', ({ payloads, expected }) => {
    expect(readPartialAnswer(payloads)).toEqual(expected);
  });
});

describe('the request that continues an answer', () => {
  const ask = { model: 'm', stream: true, messages: [{ role: 'user', content: 'Hi' }] };
  const cases: {
    name: string;
    body: Record<string, unknown>;
    partial: string;
    mode: 'prefill' | 'continue-final-message';
    expected: ContinuationRequest;
  }[] = [
    {
      name: 'a prefill ends with the partial answer as the assistant turn',
      body: ask,
      partial: 'Hello wor',
      mode: 'prefill',
      expected: {
        body: { ...ask, messages: [...ask.messages, { role: 'assistant', content: 'Hello wor' }] },
        withheld: '',
      },
    },
    {
      name: 'a prefill withholds trailing whitespace, which Anthropic refuses in a final assistant turn',
      body: ask,
      partial: 'Hello \n',
      mode: 'prefill',
      expected: {
        body: { ...ask, messages: [...ask.messages, { role: 'assistant', content: 'Hello' }] },
        withheld: ' \n',
      },
    },
    {
      name: 'continue_final_message carries the text exactly and turns the generation prompt off',
      body: ask,
      partial: 'Hello ',
      mode: 'continue-final-message',
      expected: {
        body: {
          ...ask,
          messages: [...ask.messages, { role: 'assistant', content: 'Hello ' }],
          continue_final_message: true,
          add_generation_prompt: false,
        },
        withheld: '',
      },
    },
    {
      name: 'an app’s own final assistant turn is extended rather than followed by a second one',
      body: { ...ask, messages: [...ask.messages, { role: 'assistant', content: '{"a":' }] },
      partial: ' 1',
      mode: 'prefill',
      expected: {
        body: { ...ask, messages: [...ask.messages, { role: 'assistant', content: '{"a": 1' }] },
        withheld: '',
      },
    },
    {
      name: 'the output limit is lowered by what was already sent',
      body: { ...ask, max_tokens: 100 },
      partial: 'abcdefgh',
      mode: 'prefill',
      expected: {
        body: {
          ...ask,
          max_tokens: 98,
          messages: [...ask.messages, { role: 'assistant', content: 'abcdefgh' }],
        },
        withheld: '',
      },
    },
    {
      name: 'only whitespace sent: a fresh answer, the whitespace withheld',
      body: ask,
      partial: '  ',
      mode: 'prefill',
      expected: { body: ask, withheld: '  ' },
    },
  ];
  it.each(cases)('$name', ({ body, partial, mode, expected }) => {
    expect(continuationRequest(body, partial, mode)).toEqual(expected);
  });
});

describe('relaying a continuation’s chunks', () => {
  const earlier = { inputTokens: 10, outputTokens: 3 };
  const relayed = (withheld: string, payloads: string[]): unknown[] => {
    const relay = new ContinuationRelay({ identity: IDENTITY, earlier, withheld });
    return payloads.flatMap((p) => relay.map(p)).map((p) => (p === '[DONE]' ? p : JSON.parse(p)));
  };
  const other = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      id: 'msg_2',
      object: 'chat.completion.chunk',
      created: 200,
      model: 'claude',
      choices: [{ index: 0, delta, finish_reason: null }],
      ...extra,
    });
  const content = (out: unknown[]): string =>
    out
      .map((c) => {
        const choices = (c as { choices?: { delta: { content?: string } }[] }).choices;
        return choices?.[0]?.delta.content ?? '';
      })
      .join('');

  it.each([
    {
      name: 'a continuation starting with the withheld space drops it',
      withheld: ' ',
      pieces: [' world'],
      text: 'world',
    },
    {
      name: 'withheld whitespace spread over chunks is dropped across them',
      withheld: ' \n',
      pieces: [' ', '\nNext'],
      text: 'Next',
    },
    {
      name: 'a continuation not starting with it is kept whole',
      withheld: ' ',
      pieces: ['world'],
      text: 'world',
    },
    { name: 'nothing withheld: every piece as it came', withheld: '', pieces: [' a', ' b'], text: ' a b' },
    { name: 'dropping stops at the first difference', withheld: '  ', pieces: [' x', ' y'], text: 'x y' },
  ])('$name', ({ withheld, pieces, text }) => {
    expect(
      content(
        relayed(
          withheld,
          pieces.map((p) => other({ content: p })),
        ),
      ),
    ).toBe(text);
  });

  it('takes the interrupted stream’s id, model and created, and drops the role opener', () => {
    const out = relayed('', [other({ role: 'assistant', content: '' }), other({ content: 'x' })]);
    expect(out).toEqual([
      {
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 100,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }],
      },
    ]);
  });

  it('keeps the continuation’s finish reason and adds the earlier attempts to its usage', () => {
    const finish = JSON.stringify({
      id: 'msg_2',
      choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
    });
    const usage = JSON.stringify({
      id: 'msg_2',
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    });
    expect(relayed('', [finish, usage, '[DONE]'])).toEqual([
      {
        id: 'chatcmpl-1',
        model: 'gpt-4o-mini',
        created: 100,
        choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
      },
      {
        id: 'chatcmpl-1',
        model: 'gpt-4o-mini',
        created: 100,
        choices: [],
        usage: { prompt_tokens: 30, completion_tokens: 8, total_tokens: 38 },
      },
      '[DONE]',
    ]);
  });
});
