import { describe, expect, it } from '@jest/globals';
import type { Rng } from '../../../core/clock.ts';
import { RoundRobin } from './round-robin.ts';
import { candidate, pickContext, pickSequence } from './test-candidates.ts';

const startAt =
  (fraction: number): Rng =>
  () =>
    fraction;
const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((key) => candidate(key));
if (!a || !b || !c || !d) throw new Error('unreachable');

describe('round-robin', () => {
  it.each([
    { name: 'cycles the candidates in list order', list: [a, b, c], rng: startAt(0), expected: 'abcabc' },
    { name: 'starts at a random position', list: [a, b, c, d], rng: startAt(0.5), expected: 'cdabcd' },
    {
      name: 'ignores weights',
      list: [candidate('a', { weight: 3 }), candidate('b', { weight: 1 })],
      rng: startAt(0),
      expected: 'abab',
    },
    {
      name: 'skips a weight-0 candidate',
      list: [a, candidate('b', { weight: 0 }), c],
      rng: startAt(0),
      expected: 'acac',
    },
    {
      name: 'skips a weight-0 candidate drawn as the starting position',
      list: [a, candidate('b', { weight: 0 }), c],
      rng: startAt(0.4),
      expected: 'caca',
    },
  ])('$name', ({ list, rng, expected }) => {
    expect(pickSequence(new RoundRobin(), list, expected.length, pickContext({ rng })).join('')).toBe(
      expected,
    );
  });

  it.each([
    {
      name: 'serves a target that joins in its place in the cycle',
      before: [a, b, c],
      after: [a, b, d, c],
      expected: 'dcab',
    },
    {
      name: 'continues after the last pick when a target joins before it',
      before: [a, b, c],
      after: [d, a, b, c],
      expected: 'cdab',
    },
    {
      name: 'continues after the last pick when another target leaves',
      before: [a, b, c],
      after: [b, c],
      expected: 'cb',
    },
    {
      name: 'continues with the target now in its place when the last one picked leaves',
      before: [a, b, c, d],
      after: [a, c, d],
      expected: 'cda',
    },
    {
      name: 'wraps around when the last one picked was last in the list and left',
      before: [a, b],
      after: [a],
      expected: 'aa',
    },
    { name: 'follows a new order', before: [a, b, c], after: [c, b, a], expected: 'acba' },
  ])('$name', ({ before, after, expected }) => {
    const rr = new RoundRobin();
    const ctx = pickContext({ rng: startAt(0) });
    expect(pickSequence(rr, before, 2, ctx).join('')).toBe('ab');
    expect(pickSequence(rr, after, expected.length, ctx).join('')).toBe(expected);
  });

  it.each([
    { name: 'returns nothing for an empty list', list: [] },
    {
      name: 'returns nothing when every weight is 0',
      list: [candidate('a', { weight: 0 }), candidate('b', { weight: 0 })],
    },
  ])('$name', ({ list }) => {
    expect(new RoundRobin().pick(list, pickContext())).toBeUndefined();
  });
});
