import { describe, expect, it } from '@jest/globals';
import { judgeOutcome, type AttemptFacts, type Judgement } from './judge-outcome.ts';

type Row = { name: string; facts: AttemptFacts } & Judgement;

const row = (
  name: string,
  facts: AttemptFacts,
  [verdict, retryable, coolDown, blame, credentialsRefused]: [
    Judgement['verdict'],
    boolean,
    boolean,
    Judgement['blame'],
    boolean,
  ],
): Row => ({ name, facts, verdict, retryable, coolDown, blame, credentialsRefused });

describe('judging how an upstream attempt ended', () => {
  it.each([
    row('a 200 answer is a success, nobody’s fault', { kind: 'answer', status: 200 }, [
      'success',
      false,
      false,
      undefined,
      false,
    ]),
    row('a 500 fails the provider and is retried elsewhere', { kind: 'answer', status: 500 }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row('Anthropic’s 529 overload fails the provider and is retried', { kind: 'answer', status: 529 }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row(
      'a 429 cools the provider down, says nothing of its health, and is retried',
      { kind: 'answer', status: 429 },
      ['neutral', true, true, 'provider', false],
    ),
    row(
      'a 400 is the request’s fault: the provider answered properly, no retry',
      { kind: 'answer', status: 400 },
      ['success', false, false, 'request', false],
    ),
    row(
      'a 401 marks the provider hard-down (credentials refused), and another may serve',
      { kind: 'answer', status: 401 },
      ['failure', true, false, 'provider', true],
    ),
    row('a 403 marks the provider hard-down too', { kind: 'answer', status: 403 }, [
      'failure',
      true,
      false,
      'provider',
      true,
    ]),
    row('a 404 is a misconfigured target, not hard-down', { kind: 'answer', status: 404 }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row(
      'an in-stream overload is judged like a 503',
      { kind: 'stream-error', status: 503, retryable: true },
      ['failure', true, false, 'provider', false],
    ),
    row(
      'an in-stream rate limit cools the provider down like a 429',
      { kind: 'stream-error', status: 429, retryable: true },
      ['neutral', true, true, 'provider', false],
    ),
    row(
      'an in-stream bad request is the request’s fault and not retried',
      { kind: 'stream-error', status: 400, retryable: false },
      ['success', false, false, 'request', false],
    ),
    row(
      'an in-stream error the dialect calls final is not retried',
      { kind: 'stream-error', status: 500, retryable: false },
      ['failure', false, false, 'provider', false],
    ),
    row('a stream cut before its answer was complete fails the provider', { kind: 'stream-cut' }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row('an answer not in the dialect’s shape fails the provider', { kind: 'bad-answer' }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row('a refused connection fails the provider', { kind: 'transport', error: 'connect' }, [
      'failure',
      true,
      false,
      'provider',
      false,
    ]),
    row(
      'a missed deadline (first byte, first token, total) fails the provider',
      { kind: 'transport', error: 'timeout' },
      ['failure', true, false, 'provider', false],
    ),
    row('a client that went away says nothing about the provider', { kind: 'client-gone' }, [
      'neutral',
      false,
      false,
      'request',
      false,
    ]),
    row(
      'a fault of the request found mid-attempt is never counted against the provider',
      { kind: 'not-provider', blame: 'request' },
      ['neutral', false, false, 'request', false],
    ),
    row(
      'a fault of the sidecar is never counted against the provider',
      { kind: 'not-provider', blame: 'sidecar' },
      ['neutral', false, false, 'sidecar', false],
    ),
  ])('$name', ({ facts, name: _name, ...expected }) => {
    expect(judgeOutcome(facts)).toEqual(expected);
  });
});
