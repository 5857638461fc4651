/**
 * How deeply a JSON text nests, read without parsing it: one pass over the bytes, no recursion, so any depth is
 * measured in constant stack. JSON's structural characters (`{`, `[`, `}`, `]`, `"`, `\`) are ASCII and never
 * occur inside a multi-byte UTF-8 sequence, so the raw bytes can be scanned as they are.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Whether `json` opens more than `limit` objects and arrays inside one another (a top-level object is depth 1).
 * Stops at the first level past the limit. Brackets inside strings do not count; the text need not be valid JSON
 * (the parser judges that afterwards).
 */
export function nestsDeeperThan(json: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}
