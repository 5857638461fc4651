/**
 * How a mock quotes the API key a request presented in its error messages (the `echoKey` knob): real providers
 * print keys, in full or masked, when they refuse one; a gateway in front must hide every form of it. And how a
 * server error's message is worded around that quote.
 */
import type { MockFailure } from './dialect.ts';

export const KEY_ECHOES = ['exact', 'upper', 'masked', 'fragment'] as const;
export type KeyEcho = (typeof KEY_ECHOES)[number];

/** The words an error message adds about the key; undefined when nothing is quoted. */
export function quoteKey(key: string | undefined, how: KeyEcho | null): string | undefined {
  if (how === null || key === undefined || key === '') return undefined;
  return `API key ${keyForm(key, how)}`;
}

function keyForm(key: string, how: KeyEcho): string {
  switch (how) {
    case 'exact':
      return key;
    case 'upper':
      return key.toUpperCase();
    case 'masked':
      return `${key.slice(0, 8)}****${key.slice(-6)}`;
    case 'fragment': {
      const middle = Math.floor(key.length / 2);
      return key.slice(Math.max(0, middle - 5), middle + 5);
    }
  }
}

/**
 * A server error's message: the `errorMessage` knob's wording, else the dialect's `usual` one; with the quoted key
 * in parentheses when there is one.
 */
export function serverErrorMessage(
  failure: Extract<MockFailure, { kind: 'server-error' }>,
  usual: string,
): string {
  const message = failure.message ?? usual;
  return failure.detail === undefined ? message : `${message} (${failure.detail})`;
}
