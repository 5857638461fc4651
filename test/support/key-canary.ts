/**
 * Finding an API key where it must never be: any run of `FRAGMENT_LENGTH` consecutive characters of it in any
 * letter case (the key itself, upper-cased, a run from its middle, a mask's kept prefix), and its last
 * `TAIL_LENGTH` characters (what a mask such as `sk-SECRE****123456` keeps at the end). The ways mocks quote a
 * key are the `echoKey` knob's (mock-provider/key-echo.ts).
 */
export const FRAGMENT_LENGTH = 8;
export const TAIL_LENGTH = 6;

/** The distinct pieces of `key` found in `text`, case-insensitively; empty when there is none. */
export function keySightings(text: string, key: string): string[] {
  const haystack = text.toLowerCase();
  const needle = key.toLowerCase();
  const pieces = new Set([needle.slice(-TAIL_LENGTH)]);
  for (let at = 0; at + FRAGMENT_LENGTH <= needle.length; at += 1) {
    pieces.add(needle.slice(at, at + FRAGMENT_LENGTH));
  }
  return [...pieces].filter((piece) => haystack.includes(piece));
}
