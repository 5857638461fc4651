import { describe, expect, it } from '@jest/globals';
import { nestsDeeperThan } from './json-depth.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const CASES: { name: string; json: string; limit: number; deeper: boolean }[] = [
  { name: 'a flat object is depth 1', json: '{"a":1}', limit: 1, deeper: false },
  { name: 'an object holding an array is depth 2', json: '{"a":[1]}', limit: 1, deeper: true },
  { name: 'nesting exactly at the limit passes', json: nested(64), limit: 64, deeper: false },
  { name: 'one level past the limit is refused', json: nested(65), limit: 64, deeper: true },
  { name: 'siblings do not add up', json: `[${Array(100).fill('[1]').join(',')}]`, limit: 2, deeper: false },
  { name: 'brackets inside strings do not count', json: '{"a":"[[[[{{{{"}', limit: 1, deeper: false },
  { name: 'an escaped quote does not end a string', json: '{"a":"\\"[[[[["}', limit: 1, deeper: false },
  {
    name: 'an escaped backslash before a quote ends the string',
    json: '{"a":"\\\\","b":[[1]]}',
    limit: 2,
    deeper: true,
  },
  { name: 'multi-byte characters are skipped over', json: '{"é✓😀":["[😀]"]}', limit: 2, deeper: false },
  { name: '100,000 levels are measured without recursion', json: nested(100_000), limit: 64, deeper: true },
];

describe('nestsDeeperThan', () => {
  it.each(CASES)('$name', ({ json, limit, deeper }) => {
    expect(nestsDeeperThan(bytes(json), limit)).toBe(deeper);
  });
});
