import { describe, expect, test } from '@jest/globals';
import { bearerToken } from './bearer-token.ts';
import { allowPool, allowRelay, judgeReview, type ReviewFacts } from './caller-policy.ts';
import { serviceAccountOf, type ServiceAccountName } from './service-account.ts';
import { unverifiedClaims } from './token-claims.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('the bearer token of an Authorization header', () => {
  test.each<[string, string | undefined, ReturnType<typeof bearerToken>]>([
    ['takes the token of a Bearer header', `Bearer ${JWT}`, { ok: true, token: JWT }],
    ['reads the scheme in any case', `bearer ${JWT}`, { ok: true, token: JWT }],
    ['is missing when there is no header', undefined, { ok: false, problem: 'missing' }],
    ['is missing when the header is blank', '  ', { ok: false, problem: 'missing' }],
    ['is malformed under another scheme', `Basic ${JWT}`, { ok: false, problem: 'malformed' }],
    ['is malformed without a token', 'Bearer ', { ok: false, problem: 'malformed' }],
    ['is malformed with two tokens', `Bearer ${JWT} ${JWT}`, { ok: false, problem: 'malformed' }],
    ['is malformed with characters no token has', 'Bearer a"b', { ok: false, problem: 'malformed' }],
    [
      'is malformed when longer than any token',
      `Bearer ${'a'.repeat(20_000)}`,
      { ok: false, problem: 'malformed' },
    ],
  ])('%s', (_sentence, header, expected) => {
    expect(bearerToken(header)).toEqual(expected);
  });
});

describe('the ServiceAccount of a username', () => {
  test.each<[string, string, ServiceAccountName | undefined]>([
    [
      'names the namespace and account',
      'system:serviceaccount:team-a:sidecar',
      { namespace: 'team-a', name: 'sidecar' },
    ],
    [
      'accepts dotted account names',
      'system:serviceaccount:team-a:chat.sidecar',
      { namespace: 'team-a', name: 'chat.sidecar' },
    ],
    ['is none for a person', 'alice@example.com', undefined],
    ['is none for a node', 'system:node:worker-1', undefined],
    ['is none for the service-account group', 'system:serviceaccounts:team-a', undefined],
    ['is none without an account name', 'system:serviceaccount:team-a', undefined],
    ['is none with an empty namespace', 'system:serviceaccount::sidecar', undefined],
    ['is none with an extra segment', 'system:serviceaccount:team-a:sidecar:x', undefined],
    ['is none when the namespace is no DNS label', 'system:serviceaccount:Team_A:sidecar', undefined],
    ['is none for anonymous', 'system:anonymous', undefined],
  ])('%s', (_sentence, username, expected) => {
    expect(serviceAccountOf(username)).toEqual(expected);
  });
});

describe('the unverified claims of a token', () => {
  const jwt = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
  test.each<[string, string, ReturnType<typeof unverifiedClaims>]>([
    [
      'reads exp (seconds) as milliseconds and aud as a list',
      jwt({ exp: 1_700_000_000, aud: ['switchboard'] }),
      { expiresAt: 1_700_000_000_000, audiences: ['switchboard'] },
    ],
    ['reads a single audience string as a list', jwt({ aud: 'other' }), { audiences: ['other'] }],
    ['ignores claims of the wrong type', jwt({ exp: 'soon', aud: [1] }), {}],
    ['has none for a token that is no JWT', 'opaque-token', {}],
    ['has none for a payload that is not JSON', 'a.b.c', {}],
  ])('%s', (_sentence, token, expected) => {
    expect(unverifiedClaims(token)).toEqual(expected);
  });
});

describe('judging a TokenReview', () => {
  const facts = (over: Partial<ReviewFacts['review']>, claimedAudiences?: string[]): ReviewFacts => ({
    review: {
      authenticated: true,
      username: 'system:serviceaccount:team-a:sidecar',
      audiences: ['switchboard'],
      ...over,
    },
    audiences: ['switchboard'],
    ...(claimedAudiences === undefined ? {} : { claimedAudiences }),
  });
  test.each<[string, ReviewFacts, object]>([
    [
      'accepts a ServiceAccount token valid for our audience',
      facts({}),
      { ok: true, account: { namespace: 'team-a', name: 'sidecar' } },
    ],
    [
      'refuses (401) a token the API server does not authenticate',
      facts({ authenticated: false, audiences: [] }),
      { ok: false, status: 401, message: expect.stringMatching(/not accepted by the cluster/) },
    ],
    [
      'says wrong audience when a refused token claims only other audiences',
      facts({ authenticated: false, audiences: [] }, ['https://kubernetes.default.svc']),
      { ok: false, status: 401, message: 'token not valid for audience switchboard' },
    ],
    [
      'refuses (401) an authenticated token whose reviewed audiences lack ours',
      facts({ audiences: [] }),
      { ok: false, status: 401, message: 'token not valid for audience switchboard' },
    ],
    [
      'refuses (403) a valid token of a user that is no ServiceAccount',
      facts({ username: 'alice' }),
      { ok: false, status: 403, message: expect.stringMatching(/only ServiceAccount tokens.*"alice"/) },
    ],
  ])('%s', (_sentence, input, expected) => {
    expect(judgeReview(input)).toMatchObject(expected);
  });
});

describe('allowing a pool', () => {
  const account = { namespace: 'team-b', name: 'sidecar' };
  test.each<[string, { namespace: string; name: string }, object]>([
    [
      "allows a pool of the account's own namespace",
      { namespace: 'team-b', name: 'chat' },
      { ok: true, identity: 'system:serviceaccount:team-b:sidecar' },
    ],
    [
      'forbids (403) a pool of another namespace, naming both',
      { namespace: 'team-a', name: 'chat' },
      {
        ok: false,
        status: 403,
        message: expect.stringMatching(/namespace team-b only, not of namespace team-a/),
      },
    ],
  ])('%s', (_sentence, pool, expected) => {
    expect(allowPool(account, 'system:serviceaccount:team-b:sidecar', pool)).toMatchObject(expected);
  });
});

describe('relaying replicas', () => {
  const operator: ServiceAccountName = { namespace: 'switchboard', name: 'switchboard-operator' };
  const app: ServiceAccountName = { namespace: 'team-a', name: 'app' };
  const pool = { namespace: 'team-a', name: 'chat' };
  test.each<[string, () => unknown, { ok: boolean; status?: number }]>([
    [
      'the operator’s own account may sync a pool of any namespace (it forwards its sidecars’ calls)',
      () => allowPool(operator, 'op', pool, operator),
      { ok: true },
    ],
    [
      'another account of the operator’s namespace may not',
      () => allowPool({ ...operator, name: 'other' }, 'x', pool, operator),
      { ok: false, status: 403 },
    ],
    ['the operator’s own account may relay', () => allowRelay(operator, 'op', operator), { ok: true }],
    [
      'a sidecar’s account may not relay, even for its own namespace',
      () => allowRelay(app, 'app', operator),
      { ok: false, status: 403 },
    ],
    [
      'nobody may relay when the operator knows no account of its own',
      () => allowRelay(operator, 'op', undefined),
      { ok: false, status: 403 },
    ],
  ])('%s', (_sentence, decide, expected) => {
    expect(decide()).toMatchObject(expected);
  });
});
