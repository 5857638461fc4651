/**
 * The bearer token of an `Authorization` header (RFC 6750), as sidecars send their projected ServiceAccount token.
 * A refusal says what was wrong with the header, never what it held.
 */

/** Longer than any ServiceAccount token; a header this long is not one. */
export const MAX_TOKEN_CHARS = 16_384;

/** RFC 6750's b64token: what a JWT (base64url segments joined by dots) is made of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export type BearerToken =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly problem: 'missing' | 'malformed' };

export function bearerToken(header: string | undefined): BearerToken {
  if (header === undefined || header.trim() === '') return { ok: false, problem: 'missing' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_CHARS || !B64TOKEN.test(token))
    return { ok: false, problem: 'malformed' };
  return { ok: true, token };
}
