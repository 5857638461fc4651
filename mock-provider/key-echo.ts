/**
 * How a mock quotes the API key a request presented in its error messages (the `echoKey` knob): real providers
 * print keys, in full or masked, when they refuse one; a gateway in front must hide every form of it.
 */
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

/** `message` with the quoted key in parentheses, when there is one. */
export function withDetail(message: string, detail: string | undefined): string {
  return detail === undefined ? message : `${message} (${detail})`;
}
