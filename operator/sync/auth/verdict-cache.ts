/**
 * Recent review verdicts by token, so a sidecar's stream, ACKs and reports do not each cost a TokenReview.
 *
 * - Keyed by the SHA-256 of the token: the token itself is never kept.
 * - A verdict lives until `verdictExpiresAt` (pure): a short time, shorter for refusals, and never past the token's
 *   own expiry when it is known.
 * - At most `maxEntries` verdicts; the least recently used goes first (a Map keeps insertion order; a hit re-inserts).
 */
import { createHash } from 'node:crypto';

export interface CachePolicy {
  /** How long an accepted token's verdict is reused. */
  readonly acceptedTtlMs: number;
  /** How long a refused token's verdict is reused (short: a new ServiceAccount may not be known yet). */
  readonly refusedTtlMs: number;
  readonly maxEntries: number;
}

export const DEFAULT_CACHE_POLICY: CachePolicy = {
  acceptedTtlMs: 30_000,
  refusedTtlMs: 5_000,
  maxEntries: 10_000,
};

export interface ExpiryFacts {
  readonly reviewedAt: number;
  readonly accepted: boolean;
  /** The token's `exp`, in ms since the epoch, when it can be read. */
  readonly tokenExpiresAt?: number;
}

/** Until when a verdict may be reused; a time at or before `reviewedAt` means not at all. */
export function verdictExpiresAt(facts: ExpiryFacts, policy: CachePolicy): number {
  const ttl = facts.accepted ? policy.acceptedTtlMs : policy.refusedTtlMs;
  const until = facts.reviewedAt + ttl;
  return facts.tokenExpiresAt === undefined ? until : Math.min(until, facts.tokenExpiresAt);
}

/** The cache key of a token. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('base64url');

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class VerdictCache<V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The verdict for a token's digest while it is fresh at `now`. */
  get(digest: string, now: number): V | undefined {
    const entry = this.#entries.get(digest);
    if (entry === undefined) return undefined;
    this.#entries.delete(digest);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(digest, entry);
    return entry.value;
  }

  set(digest: string, value: V, expiresAt: number, now: number): void {
    this.#entries.delete(digest);
    if (expiresAt <= now || this.#maxEntries <= 0) return;
    this.#entries.set(digest, { value, expiresAt });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }
}
