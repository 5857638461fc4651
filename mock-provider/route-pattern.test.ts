import { describe, expect, it } from '@jest/globals';
import { compilePathPattern } from './route-pattern.ts';

describe('path patterns', () => {
  it.each([
    { name: 'matches a literal path', pattern: '/v1/models', path: '/v1/models', params: {} },
    { name: 'refuses a longer path', pattern: '/v1/models', path: '/v1/models/x', params: undefined },
    { name: 'refuses a prefix', pattern: '/v1/models', path: '/v1/model', params: undefined },
    {
      name: 'captures a segment',
      pattern: '/v1/models/{model}',
      path: '/v1/models/gpt-4o',
      params: { model: 'gpt-4o' },
    },
    {
      name: 'does not capture across slashes',
      pattern: '/v1/models/{model}',
      path: '/v1/models/a/b',
      params: undefined,
    },
    {
      name: 'does not capture an empty segment',
      pattern: '/v1/models/{model}',
      path: '/v1/models/',
      params: undefined,
    },
    {
      name: 'captures part of a segment before a literal suffix',
      pattern: '/v1beta/models/{model}:generateContent',
      path: '/v1beta/models/gemini-2.0:generateContent',
      params: { model: 'gemini-2.0' },
    },
    { name: 'treats dots as literal', pattern: '/a.b', path: '/aXb', params: undefined },
    { name: 'decodes escaped characters', pattern: '/m/{id}', path: '/m/a%20b', params: { id: 'a b' } },
  ])('$name', ({ pattern, path, params }) => {
    expect(compilePathPattern(pattern)(path)).toEqual(params);
  });

  it('rejects an unclosed placeholder', () => {
    expect(() => compilePathPattern('/v1/{model')).toThrow(SyntaxError);
  });
});
