const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
// \u00b5 is µ: escaped so that bundled output stays ASCII (one byte a character in memory).
const PART = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/y;
/** A bare number of seconds. A constant: a regular expression literal in the function is a new object per call. */
const SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Parses a Go-style duration as OpenAI's `x-ratelimit-reset-*` headers send them ("1s", "6m0s", "12ms",
 * "1h2m3.5s"); also a bare number of seconds. Returns milliseconds, or undefined when unreadable.
 */
export function parseGoDuration(text: string | undefined): number | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (SECONDS.test(value)) return Number(value) * 1_000;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const at = PART.lastIndex;
    const m = PART.exec(value);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}
