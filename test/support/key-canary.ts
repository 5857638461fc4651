/**
 * Finding an API key where it must never be: the key itself in any letter case, and any run of
 * `FRAGMENT_LENGTH` consecutive characters of it (which is what masked forms such as `sk-SECRE****123456` keep).
 */
export const FRAGMENT_LENGTH = 8;

/** The distinct fragments of `key` found in `text`, case-insensitively; empty when there is none. */
export function keySightings(text: string, key: string): string[] {
  const haystack = text.toLowerCase();
  const needle = key.toLowerCase();
  const found = new Set<string>();
  for (let at = 0; at + FRAGMENT_LENGTH <= needle.length; at += 1) {
    const fragment = needle.slice(at, at + FRAGMENT_LENGTH);
    if (haystack.includes(fragment)) found.add(fragment);
  }
  return [...found];
}

/** How providers quote a key back: whole, upper-cased, masked as OpenAI masks it, or a run from its middle. */
export function keyEchoes(key: string): Readonly<Record<string, string>> {
  return {
    whole: key,
    'upper-cased': key.toUpperCase(),
    masked: `${key.slice(0, FRAGMENT_LENGTH)}****${key.slice(-6)}`,
    fragment: key.slice(4, 4 + FRAGMENT_LENGTH + 2),
  };
}
