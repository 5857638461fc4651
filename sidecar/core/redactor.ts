/**
 * Removes a pool's API keys from provider text before it reaches an application, a log line or a metric label.
 * Built once per pool runtime from its keys (a reload builds a new one), used on every path that carries
 * provider text out.
 *
 * The rule, compared case-insensitively (ASCII letters), for every key of the pool:
 *  1. Fragments: any run of at least 8 consecutive characters of a key (the whole key, when it is shorter) is
 *     replaced, wherever it appears: `sk-SECRETKEY…`, `SK-SECRETKEY…` and `…ETKEY1234…` alike.
 *  2. Masked keys: a mask, 3 or more of `*` `•` `#` `.` or a `…`, is replaced together with the characters of a
 *     key directly around it when either side holds at least 4 of them: `sk-SECRE****123456`,
 *     `sk-...3456`, `****123456`.
 * Overlapping and adjacent matches merge into one `[redacted]`. Keys shorter than 4 characters cannot be told
 * apart from text and are not looked for. Ordinary text stays as it was: a word is only touched when it is
 * 8 characters of a key, or 4 next to a mask.
 *
 * Keys are tokens of letters, digits and `-_.`: a replacement never contains a quote or backslash, so JSON text
 * stays JSON. Cost: one pass over the text that skips every stretch too short to hold a fragment; nothing is
 * allocated for text that holds none.
 */
import { REDACTED, type Secret } from './secret.ts';

export { REDACTED };

/** Characters of a key that make a fragment (rule 1). */
export const MIN_FRAGMENT = 8;
/** Characters of a key next to a mask that make a masked key (rule 2). */
export const MIN_MASKED_SIDE = 4;
const MIN_KEY = 4;
// \u2022 is •, \u2026 is …: escaped so that bundled output stays ASCII (one byte a character in memory).
const MASK = /[*\u2022#.]{3,}|\u2026/g;

export interface Redactor {
  /** `text` without key fragments (the same string when it holds none). */
  redact(text: string): string;
}

type Range = [start: number, end: number];

/** ASCII lower case, keeping every index where it was (`toLowerCase` may not, for some non-ASCII letters). */
function fold(text: string): string {
  const lower = text.toLowerCase();
  return lower.length === text.length ? lower : text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

class KeyRedactor implements Redactor {
  readonly #keys: readonly string[];
  /** Every MIN_FRAGMENT-character substring of every key long enough to have one. */
  readonly #fragments = new Set<string>();
  /** Keys shorter than a fragment: looked for whole. */
  readonly #shortKeys: readonly string[];
  /** Char codes that occur in some key: a fragment is a run of these. */
  readonly #keyChars = new Set<number>();

  constructor(keys: readonly string[]) {
    this.#keys = [...new Set(keys.map(fold).filter((k) => k.length >= MIN_KEY))];
    for (const key of this.#keys) {
      for (let i = 0; i + MIN_FRAGMENT <= key.length; i++)
        this.#fragments.add(key.slice(i, i + MIN_FRAGMENT));
      for (let i = 0; i < key.length; i++) this.#keyChars.add(key.charCodeAt(i));
    }
    this.#shortKeys = this.#keys.filter((k) => k.length < MIN_FRAGMENT);
  }

  redact(text: string): string {
    if (this.#keys.length === 0 || text.length < MIN_KEY) return text;
    const lower = fold(text);
    const ranges = [...this.#fragmentRanges(lower), ...this.#maskRanges(lower)];
    return ranges.length === 0 ? text : replaceRanges(text, ranges);
  }

  /** Rule 1: only runs of key characters at least a fragment long are looked up. */
  #fragmentRanges(lower: string): Range[] {
    const ranges: Range[] = [];
    let run = 0;
    for (let i = 0; i < lower.length; i++) {
      if (!this.#keyChars.has(lower.charCodeAt(i))) {
        run = 0;
        continue;
      }
      run++;
      if (run >= MIN_FRAGMENT && this.#fragments.has(lower.slice(i + 1 - MIN_FRAGMENT, i + 1))) {
        ranges.push([i + 1 - MIN_FRAGMENT, i + 1]);
      }
    }
    for (const key of this.#shortKeys) {
      for (let at = lower.indexOf(key); at !== -1; at = lower.indexOf(key, at + 1)) {
        ranges.push([at, at + key.length]);
      }
    }
    return ranges;
  }

  /** Rule 2: a mask with at least MIN_MASKED_SIDE key characters on one side, taken with both sides. */
  #maskRanges(lower: string): Range[] {
    const ranges: Range[] = [];
    for (const mask of lower.matchAll(MASK)) {
      const start = mask.index;
      const end = start + mask[0].length;
      let before = 0;
      while (before < start && this.#inAKey(lower.slice(start - before - 1, start))) before++;
      let after = 0;
      while (end + after < lower.length && this.#inAKey(lower.slice(end, end + after + 1))) after++;
      if (Math.max(before, after) >= MIN_MASKED_SIDE) ranges.push([start - before, end + after]);
    }
    return ranges;
  }

  #inAKey(part: string): boolean {
    return this.#keys.some((key) => key.includes(part));
  }
}

/** Replaces the union of `ranges` (overlapping or touching ones merged) by one REDACTED each. */
function replaceRanges(text: string, ranges: Range[]): string {
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  let current: Range | undefined;
  for (const range of ranges) {
    if (current && range[0] <= current[1]) {
      current[1] = Math.max(current[1], range[1]);
      continue;
    }
    if (current) {
      out += text.slice(copied, current[0]) + REDACTED;
      copied = current[1];
    }
    current = [range[0], range[1]];
  }
  if (current) out += text.slice(copied, current[0]) + REDACTED + text.slice(current[1]);
  return out;
}

const NOTHING_TO_HIDE: Redactor = { redact: (text) => text };

/** A redactor for these keys (undefined entries are providers without a key). */
export function createRedactor(keys: readonly (Secret | undefined)[]): Redactor {
  const present = keys
    .flatMap((k) => (k === undefined ? [] : [k.reveal()]))
    .filter((k) => k.length >= MIN_KEY);
  return present.length === 0 ? NOTHING_TO_HIDE : new KeyRedactor(present);
}
