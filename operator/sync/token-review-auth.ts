/**
 * The sync channel's authentication in a cluster: a sidecar sends its projected ServiceAccount token (audience
 * `switchboard`) as `Authorization: Bearer …`; the API server reviews it (TokenReview); the caller may read and
 * report only for pools of its ServiceAccount's namespace.
 *
 *   header ─ bearerToken ─► token ─ cache (by SHA-256) or TokenReview ─ judgeReview ─► account ─ allowPool ─► result
 *
 * Refusals: 401 missing/malformed header, invalid, expired or forged token, wrong audience; 403 a user that is no
 * ServiceAccount, or a pool of another namespace. A review that cannot be made throws (the routes answer 503) and is
 * not cached. Concurrent calls with one token share one review. The token is never logged, returned or kept.
 *
 * Transport-neutral: it reads only the Authorization header, so the routes may be served over http or https.
 */
import type { Request } from 'express';
import { SYNC_TOKEN_AUDIENCE } from '../../api/sync/sync-protocol.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { bearerToken } from './auth/bearer-token.ts';
import {
  allowPool,
  allowRelay,
  judgeReview,
  type CallerVerdict,
  type Refusal,
} from './auth/caller-policy.ts';
import type { ServiceAccountName } from './auth/service-account.ts';
import { unverifiedClaims } from './auth/token-claims.ts';
import type { TokenReviewer } from './auth/token-reviewer.ts';
import {
  DEFAULT_CACHE_POLICY,
  VerdictCache,
  tokenDigest,
  verdictExpiresAt,
  type CachePolicy,
} from './auth/verdict-cache.ts';
import { poolKeyString, type PoolKey } from './sync-hub.ts';
import type { AuthResult, SyncAuth } from './sync-routes.ts';

export interface TokenReviewAuthOptions {
  /** Usually `apiServerTokenReviewer(kubeConfig)`. */
  readonly reviewer: TokenReviewer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Audiences a token must be valid for (any one of them); default ["switchboard"]. */
  readonly audiences?: readonly string[];
  readonly cache?: Partial<CachePolicy>;
  /** The operator's own ServiceAccount: its replicas relay for their sidecars, for every pool. */
  readonly relayAccount?: ServiceAccountName;
}

export class TokenReviewAuth implements SyncAuth {
  readonly #o: TokenReviewAuthOptions;
  readonly #audiences: readonly string[];
  readonly #policy: CachePolicy;
  readonly #cache: VerdictCache<CallerVerdict>;
  readonly #inFlight = new Map<string, Promise<CallerVerdict>>();

  constructor(options: TokenReviewAuthOptions) {
    this.#o = options;
    this.#audiences = options.audiences ?? [SYNC_TOKEN_AUDIENCE];
    this.#policy = { ...DEFAULT_CACHE_POLICY, ...options.cache };
    this.#cache = new VerdictCache(this.#policy.maxEntries);
  }

  authorize(req: Request, pool: PoolKey): Promise<AuthResult> {
    return this.authorizeHeader(req.headers.authorization, pool);
  }

  authorizeRelay(req: Request, pool: PoolKey): Promise<AuthResult> {
    return this.authorizeHeader(req.headers.authorization, pool, true);
  }

  /** The decision for an Authorization header's value and a pool (as a sidecar, or as a relaying replica). */
  async authorizeHeader(header: string | undefined, pool: PoolKey, relay = false): Promise<AuthResult> {
    const bearer = bearerToken(header);
    if (!bearer.ok) {
      const expected = `Authorization: Bearer <a ServiceAccount token for audience ${this.#audiences.join(', ')}>`;
      return this.#refused(pool, {
        ok: false,
        status: 401,
        message:
          bearer.problem === 'missing'
            ? `missing credentials: send ${expected}`
            : `malformed Authorization header: send ${expected}`,
      });
    }
    const caller = await this.#caller(bearer.token);
    if (!caller.ok) return this.#refused(pool, caller);
    const result = relay
      ? allowRelay(caller.account, caller.username, this.#o.relayAccount)
      : allowPool(caller.account, caller.username, pool, this.#o.relayAccount);
    return result.ok ? result : this.#refused(pool, result);
  }

  /** The token's verdict: cached, being reviewed by another call, or reviewed now. */
  #caller(token: string): Promise<CallerVerdict> {
    const digest = tokenDigest(token);
    const cached = this.#cache.get(digest, this.#o.clock.now());
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#inFlight.get(digest);
    if (pending === undefined) {
      pending = this.#review(token, digest).finally(() => this.#inFlight.delete(digest));
      this.#inFlight.set(digest, pending);
    }
    return pending;
  }

  async #review(token: string, digest: string): Promise<CallerVerdict> {
    const review = await this.#o.reviewer.review(token, this.#audiences);
    const claims = unverifiedClaims(token);
    const verdict = judgeReview({
      review,
      audiences: this.#audiences,
      ...(claims.audiences === undefined ? {} : { claimedAudiences: claims.audiences }),
    });
    const now = this.#o.clock.now();
    const expiresAt = verdictExpiresAt(
      {
        reviewedAt: now,
        accepted: verdict.ok,
        ...(claims.expiresAt === undefined ? {} : { tokenExpiresAt: claims.expiresAt }),
      },
      this.#policy,
    );
    this.#cache.set(digest, verdict, expiresAt, now);
    if (verdict.ok) this.#o.logger.debug('sync caller authenticated', { identity: verdict.username });
    return verdict;
  }

  #refused(pool: PoolKey, refusal: Refusal): Refusal {
    this.#o.logger.info('sync call refused', {
      pool: poolKeyString(pool),
      status: refusal.status,
      reason: refusal.message,
    });
    return refusal;
  }
}
