import { describe, expect, it } from '@jest/globals';
import {
  countCodePoints,
  estimateTokens,
  splitEvenly,
  takeCodePoints,
  truncateToTokens,
} from './text-tokens.ts';

describe('token estimates', () => {
  it.each([
    { text: '', tokens: 0 },
    { text: 'abc', tokens: 1 },
    { text: 'abcd', tokens: 1 },
    { text: 'abcde', tokens: 2 },
    { text: '\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}', tokens: 2 },
  ])('estimates $tokens tokens for "$text" (four code points a token)', ({ text, tokens }) => {
    expect(estimateTokens(text)).toBe(tokens);
  });

  it.each([
    { name: 'keeps text within the limit', text: 'abcdefgh', max: 2, out: 'abcdefgh', truncated: false },
    {
      name: 'cuts text over the limit to four code points a token',
      text: 'abcdefghi',
      max: 2,
      out: 'abcdefgh',
      truncated: true,
    },
    {
      name: 'never cuts inside a surrogate pair',
      text: 'ab\u{1F600}\u{1F600}cd',
      max: 1,
      out: 'ab\u{1F600}\u{1F600}',
      truncated: true,
    },
  ])('$name', ({ text, max, out, truncated }) => {
    expect(truncateToTokens(text, max)).toEqual({ text: out, truncated });
  });

  it('counts and takes code points, not UTF-16 units', () => {
    expect(countCodePoints('a\u{1F600}b')).toBe(3);
    expect(takeCodePoints('a\u{1F600}b', 2)).toBe('a\u{1F600}');
  });
});

describe('splitting a reply into stream pieces', () => {
  it.each([
    { name: 'splits into nearly equal pieces', text: 'abcdefghij', parts: 3, pieces: ['abc', 'defg', 'hij'] },
    {
      name: 'gives one piece per code point when asked for more pieces than there are',
      text: 'ab',
      parts: 5,
      pieces: ['a', 'b'],
    },
    { name: 'gives no pieces for empty text', text: '', parts: 3, pieces: [] },
    {
      name: 'keeps surrogate pairs whole',
      text: '\u{1F600}\u{1F601}',
      parts: 2,
      pieces: ['\u{1F600}', '\u{1F601}'],
    },
  ])('$name', ({ text, parts, pieces }) => {
    expect(splitEvenly(text, parts)).toEqual(pieces);
    expect(splitEvenly(text, parts).join('')).toBe(text);
  });
});
