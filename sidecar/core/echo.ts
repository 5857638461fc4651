/**
 * Request input quoted back in an error message (a model name, a header value, a path, a validation problem) is
 * bounded, so a 1 MiB model name gets a short 404 rather than a 1 MiB one.
 */
export const ECHO_LIMIT = 256;

/** `value` itself when it is at most `limit` characters long; else its first `limit` characters, "…" and its length. */
export function echoInput(value: string, limit: number = ECHO_LIMIT): string {
  if (value.length <= limit) return value;
  // Never cut a surrogate pair in two: the answer would carry half a character.
  const code = value.charCodeAt(limit - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
  return `${value.slice(0, end)}… (${value.length} characters)`;
}
