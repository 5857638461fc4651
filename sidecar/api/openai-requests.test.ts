import { describe, expect, it } from '@jest/globals';
import { estimateChatTokens, type ChatCompletionRequest } from './openai-requests.ts';

/** `depth` arrays inside one another, built without recursion. */
function deepArray(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const request = (content: unknown): ChatCompletionRequest =>
  ({ model: 'chat', messages: [{ role: 'user', content }] }) as ChatCompletionRequest;

describe('estimateChatTokens', () => {
  it.each([
    { name: 'counts a string content', content: 'x'.repeat(40), input: 11 },
    {
      name: 'counts the text of each content part',
      content: [
        { type: 'text', text: 'x'.repeat(36) },
        { type: 'text', text: 'y'.repeat(4) },
      ],
      input: 11,
    },
    {
      name: 'counts nothing for parts without text',
      content: [{ type: 'image_url', image_url: { url: 'https://x' } }],
      input: 1,
    },
    {
      name: 'does not walk 100,000-deep arrays in a part’s text',
      content: [{ type: 'text', text: deepArray(100_000) }],
      input: 1,
    },
    { name: 'does not walk 100,000-deep arrays as content', content: deepArray(100_000), input: 1 },
  ])('$name', ({ content, input }) => {
    expect(estimateChatTokens(request(content)).input).toBe(input);
  });
});
