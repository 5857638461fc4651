/**
 * Who may use the sync channel, decided from gathered facts without I/O:
 *
 *   judgeReview  the API server's TokenReview → the caller's ServiceAccount, or a refusal (401 not a valid token
 *                for our audience; 403 a valid token of some other kind of user)
 *   allowPool    that ServiceAccount and the pool asked for → allowed only within its own namespace (else 403),
 *                except the operator's own ServiceAccount (a follower replica relaying for its sidecars): any pool
 *   allowRelay   only the operator's own ServiceAccount may open relays (else 403)
 *
 * Messages name audiences, users and namespaces, never the token.
 */
import type { AuthResult } from '../sync-routes.ts';
import type { PoolKey } from '../sync-hub.ts';
import { serviceAccountOf, type ServiceAccountName } from './service-account.ts';
import type { TokenReview } from './token-reviewer.ts';

export type Refusal = Extract<AuthResult, { ok: false }>;

export type CallerVerdict =
  { readonly ok: true; readonly account: ServiceAccountName; readonly username: string } | Refusal;

const unauthorized = (message: string): Refusal => ({ ok: false, status: 401, message });
const forbidden = (message: string): Refusal => ({ ok: false, status: 403, message });

export const wrongAudience = (audiences: readonly string[]): Refusal =>
  unauthorized(`token not valid for audience ${audiences.join(', ')}`);

export interface ReviewFacts {
  readonly review: TokenReview;
  /** The audiences the operator asked the review for (ours). */
  readonly audiences: readonly string[];
  /** The token's own `aud` claim, unverified: only to say why a refused token was refused. */
  readonly claimedAudiences?: readonly string[];
}

export function judgeReview({ review, audiences, claimedAudiences }: ReviewFacts): CallerVerdict {
  if (!review.authenticated) {
    const claimsOthers =
      claimedAudiences !== undefined && !claimedAudiences.some((a) => audiences.includes(a));
    return claimsOthers
      ? wrongAudience(audiences)
      : unauthorized('token not accepted by the cluster: expired, revoked or not issued by it');
  }
  // An empty list means the token is for the API server itself (an authenticator that ignored our audiences).
  if (!review.audiences.some((a) => audiences.includes(a))) return wrongAudience(audiences);
  const username = review.username ?? '';
  const account = serviceAccountOf(username);
  if (account === undefined)
    return forbidden(
      `only ServiceAccount tokens may use the sync channel; this token is of user "${username}"`,
    );
  return { ok: true, account, username };
}

const same = (a: ServiceAccountName, b: ServiceAccountName | undefined): boolean =>
  b !== undefined && a.namespace === b.namespace && a.name === b.name;

export function allowPool(
  account: ServiceAccountName,
  username: string,
  pool: PoolKey,
  relayAccount?: ServiceAccountName,
): AuthResult {
  if (same(account, relayAccount)) return { ok: true, identity: username };
  if (account.namespace !== pool.namespace)
    return forbidden(
      `ServiceAccount ${account.namespace}/${account.name} may sync pools of namespace ${account.namespace} only, not of namespace ${pool.namespace}`,
    );
  return { ok: true, identity: username };
}

export function allowRelay(
  account: ServiceAccountName,
  username: string,
  relayAccount: ServiceAccountName | undefined,
): AuthResult {
  if (same(account, relayAccount)) return { ok: true, identity: username };
  return forbidden(
    relayAccount === undefined
      ? 'this operator accepts no relays (it knows no ServiceAccount of its own)'
      : `only the operator's ServiceAccount ${relayAccount.namespace}/${relayAccount.name} may relay, not ${account.namespace}/${account.name}`,
  );
}
