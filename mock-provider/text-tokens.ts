/** Rough token arithmetic shared by all dialects: about four characters (code points) a token. */

const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(countCodePoints(text) / CHARS_PER_TOKEN);
}

/** Cuts `text` to at most `maxTokens` estimated tokens; says whether anything was cut. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  const limit = maxTokens * CHARS_PER_TOKEN;
  if (countCodePoints(text) <= limit) return { text, truncated: false };
  return { text: takeCodePoints(text, limit), truncated: true };
}

/** The first `count` code points of `text`. */
export function takeCodePoints(text: string, count: number): string {
  return text.slice(0, codeUnitIndexOf(text, count));
}

/** Splits `text` into at most `parts` pieces of nearly equal length, never inside a surrogate pair. */
export function splitEvenly(text: string, parts: number): string[] {
  const total = countCodePoints(text);
  const count = Math.min(parts, total);
  const pieces: string[] = [];
  let from = 0;
  let taken = 0;
  for (let i = 1; i <= count; i += 1) {
    const upTo = Math.round((total * i) / count);
    const to = from + codeUnitIndexOf(text.slice(from), upTo - taken);
    pieces.push(text.slice(from, to));
    from = to;
    taken = upTo;
  }
  return pieces;
}

export function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (isPairAt(text, i)) i += 1;
    count += 1;
  }
  return count;
}

/** The code-unit index where the `codePoints`-th code point ends. */
function codeUnitIndexOf(text: string, codePoints: number): number {
  let i = 0;
  for (let seen = 0; seen < codePoints && i < text.length; seen += 1) i += isPairAt(text, i) ? 2 : 1;
  return i;
}

function isPairAt(text: string, i: number): boolean {
  const high = text.charCodeAt(i);
  const low = text.charCodeAt(i + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}
