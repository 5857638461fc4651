/**
 * What a JWT says about itself, read WITHOUT verifying it: only hints (how long a verdict the API server gave may
 * be cached, and why a token it refused was refused). Never a reason to accept anything.
 */
import { isRecord, numberOf, parseJson } from '../../../core/json.ts';

export interface UnverifiedClaims {
  /** The `exp` claim, in milliseconds since the epoch. */
  readonly expiresAt?: number;
  /** The `aud` claim (a string or a list in JWTs), as a list. */
  readonly audiences?: readonly string[];
}

export function unverifiedClaims(token: string): UnverifiedClaims {
  const segments = token.split('.');
  if (segments.length !== 3 || segments[1] === undefined) return {};
  const payload = parseJson(Buffer.from(segments[1], 'base64url').toString('utf8'));
  if (!isRecord(payload)) return {};
  const exp = numberOf(payload.exp);
  const audiences = audiencesOf(payload.aud);
  return {
    ...(exp === undefined ? {} : { expiresAt: exp * 1000 }),
    ...(audiences === undefined ? {} : { audiences }),
  };
}

function audiencesOf(aud: unknown): readonly string[] | undefined {
  if (typeof aud === 'string') return [aud];
  if (!Array.isArray(aud)) return undefined;
  const strings = aud.filter((a): a is string => typeof a === 'string');
  return strings.length === aud.length ? strings : undefined;
}
