import { describe, expect, it } from '@jest/globals';
import {
  fits,
  largestWindow,
  modelChain,
  promptTokensAtLeast,
  routeFor,
  tokensNeeded,
  TooLong,
  type ContextNeed,
} from './context-window.ts';
import type { Target } from './target.ts';

/** Only what the window checks read of a target. */
function target(key: string, contextWindow: number | undefined, maxOutputTokens?: number): Target {
  return { key, contextWindow, endpoint: { maxOutputTokens } } as unknown as Target;
}

describe('the low estimate of a prompt’s tokens', () => {
  it.each([
    { name: 'no text takes no tokens', chars: 0, tokens: 0 },
    {
      name: 'counts 3 tokens per 16 characters (4 a token, 75 % of it held against a window)',
      chars: 16,
      tokens: 3,
    },
    { name: 'rounds down: a short text is never counted up', chars: 7, tokens: 1 },
    { name: '40 000 characters count as 7 500 tokens', chars: 40_000, tokens: 7_500 },
  ])('$name', ({ chars, tokens }) => {
    expect(promptTokensAtLeast(chars)).toBe(tokens);
  });
});

describe('which targets can hold a request', () => {
  const need = (promptTokens: number, outputTokens?: number): ContextNeed => ({ promptTokens, outputTokens });
  it.each([
    {
      name: 'a target without a declared window holds anything',
      t: target('a', undefined),
      need: need(10 ** 9),
      fits: true,
    },
    {
      name: 'prompt plus max_tokens equal to the window fits',
      t: target('a', 1000),
      need: need(900, 100),
      fits: true,
    },
    { name: 'one token more does not', t: target('a', 1000), need: need(901, 100), fits: false },
    {
      name: 'without max_tokens the target’s own output default counts',
      t: target('a', 1000, 200),
      need: need(850),
      fits: false,
    },
    { name: 'without either, one token of output counts', t: target('a', 1000), need: need(999), fits: true },
    {
      name: 'a request with nothing to check (embeddings) fits',
      t: target('a', 10),
      need: undefined,
      fits: true,
    },
  ])('$name', ({ t, need: n, fits: expected }) => {
    expect(fits(t, n)).toBe(expected);
  });

  it('adds the prompt and the output the request reserves', () => {
    expect(tokensNeeded({ promptTokens: 10, outputTokens: 5 }, target('a', 100, 99))).toBe(15);
  });
});

describe('after a provider’s context-length error', () => {
  it.each([
    {
      name: 'rules out the target that answered so, and every declared window no larger',
      failed: target('small', 4000),
      others: [
        target('same', 4000),
        target('smaller', 2000),
        target('larger', 8000),
        target('unknown', undefined),
      ],
      ruledOut: ['same', 'smaller'],
    },
    {
      name: 'rules out only that target when its window is not declared',
      failed: target('unknown', undefined),
      others: [target('small', 10), target('other-unknown', undefined)],
      ruledOut: [],
    },
  ])('$name', ({ failed, others, ruledOut }) => {
    const tooLong = new TooLong();
    tooLong.add(failed);
    expect(tooLong.has(failed)).toBe(true);
    expect(others.filter((t) => tooLong.has(t)).map((t) => t.key)).toEqual(ruledOut);
  });
});

describe('the models that may serve a request', () => {
  it.each([
    { name: 'a model without fallbacks is alone', fallbacks: {}, chain: ['mini'] },
    { name: 'fallbacks follow in order', fallbacks: { mini: ['mid', 'big'] }, chain: ['mini', 'mid', 'big'] },
    {
      name: 'a fallback’s own fallbacks follow it, depth first',
      fallbacks: { mini: ['mid', 'big'], mid: ['huge'] },
      chain: ['mini', 'mid', 'huge', 'big'],
    },
    {
      name: 'a cycle of fallbacks ends',
      fallbacks: { mini: ['big'], big: ['mini'] },
      chain: ['mini', 'big'],
    },
  ])('$name', ({ fallbacks, chain }) => {
    expect(modelChain('mini', new Map(Object.entries(fallbacks)))).toEqual(chain);
  });
});

describe('routing by context window', () => {
  const targets: Record<string, Target[]> = {
    mini: [target('p/mini', 4000)],
    chat: [target('p/chat', 4000), target('q/chat', 100_000)],
    big: [target('q/big', 200_000)],
  };
  const of = (m: string) => targets[m] ?? [];
  it.each([
    {
      name: 'a short request stays with its model',
      chain: ['chat'],
      prompt: 1000,
      route: ['chat', 'p/chat', 'q/chat'],
    },
    { name: 'a long one skips the small window', chain: ['chat'], prompt: 8000, route: ['chat', 'q/chat'] },
    {
      name: 'one too long for its model goes to a fallback',
      chain: ['mini', 'big'],
      prompt: 8000,
      route: ['big', 'q/big'],
    },
    { name: 'one too long for all has no route', chain: ['mini', 'chat'], prompt: 150_000, route: [] },
  ])('$name', ({ chain, prompt, route }) => {
    const r = routeFor(chain, of, { promptTokens: prompt, outputTokens: 100 }, new TooLong());
    expect(r ? [r.model, ...r.targets.map((t) => t.key)] : []).toEqual(route);
  });

  it('leaves out what a context-length error ruled out', () => {
    const tooLong = new TooLong();
    tooLong.add(target('q/chat', 100_000));
    const r = routeFor(['chat', 'big'], of, { promptTokens: 10, outputTokens: 1 }, tooLong);
    expect(r?.model).toBe('big');
  });

  it('knows the largest declared window, and that an undeclared one may hold anything', () => {
    expect(largestWindow(targets.chat ?? [])).toBe(100_000);
    expect(largestWindow([target('a', 10), target('b', undefined)])).toBeUndefined();
  });
});
