import { describe, expect, it } from '@jest/globals';
import { formatOpenAiDuration } from './openai-duration.ts';

describe('OpenAI rate-limit durations', () => {
  it.each([
    { ms: 0, text: '0s' },
    { ms: 12, text: '12ms' },
    { ms: 0.4, text: '1ms' },
    { ms: 1000, text: '1s' },
    { ms: 8640, text: '8.64s' },
    { ms: 360_000, text: '6m0s' },
    { ms: 90_500, text: '1m30.5s' },
  ])('formats $ms ms as $text', ({ ms, text }) => {
    expect(formatOpenAiDuration(ms)).toBe(text);
  });
});
