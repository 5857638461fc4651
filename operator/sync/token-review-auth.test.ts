import { describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../core/clock.ts';
import { createLogger } from '../../core/log.ts';
import { TokenReviewUnavailable, type TokenReview, type TokenReviewer } from './auth/token-reviewer.ts';
import { TokenReviewAuth } from './token-review-auth.ts';

const START = Date.UTC(2026, 0, 1);
const POOL = { namespace: 'team-a', name: 'chat' };

/** A JWT-shaped token whose payload says when it expires; the reviewer below decides what it is. */
const token = (label: string, expSeconds = START / 1000 + 3_600) =>
  `e30.${Buffer.from(JSON.stringify({ exp: expSeconds, aud: ['switchboard'] })).toString('base64url')}.${label}`;

/** Reviews from a table of token → answer; counts calls; a token not in the table is unauthenticated. */
function fakeReviewer(answers: Record<string, TokenReview | Error>) {
  const calls: string[] = [];
  const reviewer: TokenReviewer = {
    review(t) {
      calls.push(t);
      const answer = answers[t] ?? { authenticated: false, audiences: [] };
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return { reviewer, calls };
}

const sidecarOf = (namespace: string): TokenReview => ({
  authenticated: true,
  username: `system:serviceaccount:${namespace}:sidecar`,
  audiences: ['switchboard'],
});

function setup(answers: Record<string, TokenReview | Error>) {
  const clock = new ManualClock(START);
  const lines: string[] = [];
  const { reviewer, calls } = fakeReviewer(answers);
  const auth = new TokenReviewAuth({
    reviewer,
    clock,
    logger: createLogger({ level: 'debug', sink: (l) => lines.push(l) }),
  });
  return { auth, clock, calls, lines };
}

describe('TokenReviewAuth', () => {
  test('accepts a ServiceAccount token for a pool of its namespace, as that account', async () => {
    const good = token('good');
    const { auth } = setup({ [good]: sidecarOf('team-a') });
    await expect(auth.authorizeHeader(`Bearer ${good}`, POOL)).resolves.toEqual({
      ok: true,
      identity: 'system:serviceaccount:team-a:sidecar',
    });
  });

  test('refuses a missing header with 401 saying what to send, without asking the API server', async () => {
    const { auth, calls } = setup({});
    await expect(auth.authorizeHeader(undefined, POOL)).resolves.toEqual({
      ok: false,
      status: 401,
      message:
        'missing credentials: send Authorization: Bearer <a ServiceAccount token for audience switchboard>',
    });
    expect(calls).toHaveLength(0);
  });

  test('refuses a malformed header with 401 without echoing it', async () => {
    const { auth } = setup({});
    const result = await auth.authorizeHeader('Basic c2VjcmV0LXBhc3N3b3Jk', POOL);
    expect(result).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/^malformed/) });
    expect(JSON.stringify(result)).not.toContain('c2VjcmV0LXBhc3N3b3Jk');
  });

  test('refuses with 403 a valid token of another namespace', async () => {
    const other = token('other');
    const { auth } = setup({ [other]: sidecarOf('team-b') });
    await expect(auth.authorizeHeader(`Bearer ${other}`, POOL)).resolves.toMatchObject({
      ok: false,
      status: 403,
    });
  });

  test.each<[string, string, TokenReview | undefined, number]>([
    ['reuses an accepted verdict for 30 s', token('good'), sidecarOf('team-a'), 30_000],
    ['reuses a refusal for 5 s only', token('forged'), undefined, 5_000],
    [
      'reuses a verdict no longer than the token lives',
      token('short', START / 1000 + 10),
      sidecarOf('team-a'),
      10_000,
    ],
  ])('%s, then reviews the token again', async (_sentence, t, answer, reusedForMs) => {
    const { auth, clock, calls } = setup(answer === undefined ? {} : { [t]: answer });
    await auth.authorizeHeader(`Bearer ${t}`, POOL);
    clock.advance(reusedForMs - 1);
    await auth.authorizeHeader(`Bearer ${t}`, POOL);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await auth.authorizeHeader(`Bearer ${t}`, POOL);
    expect(calls).toHaveLength(2);
  });

  test('decides the pool per call even when the verdict is cached', async () => {
    const good = token('good');
    const { auth, calls } = setup({ [good]: sidecarOf('team-a') });
    await auth.authorizeHeader(`Bearer ${good}`, POOL);
    await expect(
      auth.authorizeHeader(`Bearer ${good}`, { namespace: 'team-b', name: 'chat' }),
    ).resolves.toMatchObject({ ok: false, status: 403 });
    expect(calls).toHaveLength(1);
  });

  test('shares one review among concurrent calls with the same token', async () => {
    const good = token('good');
    const { auth, calls } = setup({ [good]: sidecarOf('team-a') });
    const results = await Promise.all([1, 2, 3].map(() => auth.authorizeHeader(`Bearer ${good}`, POOL)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  test('throws when the review cannot be made, and does not remember that', async () => {
    const good = token('good');
    const answers: Record<string, TokenReview | Error> = {
      [good]: new TokenReviewUnavailable('TokenReview failed: connect ECONNREFUSED'),
    };
    const { auth, calls } = setup(answers);
    await expect(auth.authorizeHeader(`Bearer ${good}`, POOL)).rejects.toThrow(/ECONNREFUSED/);
    answers[good] = sidecarOf('team-a');
    await expect(auth.authorizeHeader(`Bearer ${good}`, POOL)).resolves.toMatchObject({ ok: true });
    expect(calls).toHaveLength(2);
  });

  test('logs refusals and acceptances without the token', async () => {
    const good = token('good-signature');
    const forged = token('forged-signature');
    const { auth, lines } = setup({ [good]: sidecarOf('team-b') });
    await auth.authorizeHeader(`Bearer ${good}`, POOL);
    await auth.authorizeHeader(`Bearer ${forged}`, POOL);
    expect(lines.join('\n')).toMatch(/sync caller authenticated.*sync call refused.*sync call refused/s);
    for (const t of [good, forged]) expect(lines.join('\n')).not.toContain(t.split('.')[2]);
  });
});
