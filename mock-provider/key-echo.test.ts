import { describe, expect, it } from '@jest/globals';
import { quoteKey, serverErrorMessage, type KeyEcho } from './key-echo.ts';

const KEY = 'sk-SECRETKEY-0123456789abcdef';

describe('how a mock quotes the key it was given', () => {
  it.each<{ name: string; how: KeyEcho | null; key: string | undefined; quoted: string | undefined }>([
    { name: 'as sent', how: 'exact', key: KEY, quoted: `API key ${KEY}` },
    { name: 'upper-cased', how: 'upper', key: KEY, quoted: 'API key SK-SECRETKEY-0123456789ABCDEF' },
    {
      name: 'masked, as OpenAI prints a refused key',
      how: 'masked',
      key: KEY,
      quoted: 'API key sk-SECRE****abcdef',
    },
    { name: 'as a fragment from its middle', how: 'fragment', key: KEY, quoted: 'API key KEY-012345' },
    { name: 'not at all when the knob is off', how: null, key: KEY, quoted: undefined },
    { name: 'not at all when no key came', how: 'exact', key: undefined, quoted: undefined },
  ])('$name', ({ how, key, quoted }) => {
    expect(quoteKey(key, how)).toBe(quoted);
  });

  it.each<{ name: string; message?: string; detail?: string; worded: string }>([
    { name: 'words a server error as the dialect does', worded: 'Internal error' },
    { name: 'adds the quote in parentheses', detail: 'API key x', worded: 'Internal error (API key x)' },
    { name: 'takes the wording the knob gives', message: 'Boom', worded: 'Boom' },
    {
      name: 'adds the quote to the given wording too',
      message: 'Boom',
      detail: 'API key x',
      worded: 'Boom (API key x)',
    },
  ])('$name', ({ message, detail, worded }) => {
    expect(serverErrorMessage({ kind: 'server-error', message, detail }, 'Internal error')).toBe(worded);
  });
});
