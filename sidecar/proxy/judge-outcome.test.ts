import { describe, expect, it } from '@jest/globals';
import { judgeOutcome, type AttemptFacts, type Judgement } from './judge-outcome.ts';

const judged = (
  verdict: Judgement['verdict'],
  retryable: boolean,
  blame: Judgement['blame'],
  extra: { coolDown?: boolean; credentialsRefused?: boolean } = {},
): Judgement => ({ verdict, retryable, blame, coolDown: false, credentialsRefused: false, ...extra });

const SERVED = judged('success', false, undefined);
const PROVIDER_FAILED = judged('failure', true, 'provider');
const RATE_LIMITED = judged('neutral', true, 'provider', { coolDown: true });
const REQUEST_AT_FAULT = judged('success', false, 'request');
const CREDENTIALS_REFUSED = judged('failure', true, 'provider', { credentialsRefused: true });

const CASES: { name: string; facts: AttemptFacts; expected: Judgement }[] = [
  {
    name: 'a 200 answer is a success, nobody’s fault',
    facts: { kind: 'answer', status: 200 },
    expected: SERVED,
  },
  {
    name: 'a 500 fails the provider and is retried',
    facts: { kind: 'answer', status: 500 },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'Anthropic’s 529 fails the provider',
    facts: { kind: 'answer', status: 529 },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a 429 cools down, is retried, is no failure',
    facts: { kind: 'answer', status: 429 },
    expected: RATE_LIMITED,
  },
  {
    name: 'a 400 is the request’s fault, not retried',
    facts: { kind: 'answer', status: 400 },
    expected: REQUEST_AT_FAULT,
  },
  {
    name: 'a 401 marks the provider hard-down',
    facts: { kind: 'answer', status: 401 },
    expected: CREDENTIALS_REFUSED,
  },
  {
    name: 'a 403 marks the provider hard-down',
    facts: { kind: 'answer', status: 403 },
    expected: CREDENTIALS_REFUSED,
  },
  {
    name: 'a 404 is a misconfigured target',
    facts: { kind: 'answer', status: 404 },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'an in-stream overload is judged like a 503',
    facts: { kind: 'stream-error', status: 503, retryable: true },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'an in-stream rate limit is judged like a 429',
    facts: { kind: 'stream-error', status: 429, retryable: true },
    expected: RATE_LIMITED,
  },
  {
    name: 'an in-stream bad request is the request’s fault',
    facts: { kind: 'stream-error', status: 400, retryable: false },
    expected: REQUEST_AT_FAULT,
  },
  {
    name: 'an in-stream error its dialect calls final is not retried',
    facts: { kind: 'stream-error', status: 500, retryable: false },
    expected: judged('failure', false, 'provider'),
  },
  {
    name: 'a stream cut before it was complete fails the provider',
    facts: { kind: 'stream-cut' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'an answer not in the dialect’s shape fails the provider',
    facts: { kind: 'bad-answer' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a refused connection fails the provider',
    facts: { kind: 'transport', error: 'connect' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a missed deadline fails the provider',
    facts: { kind: 'transport', error: 'timeout' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a client that went away says nothing about the provider',
    facts: { kind: 'client-gone' },
    expected: judged('neutral', false, 'request'),
  },
  {
    name: 'a fault of the request found mid-attempt is never the provider’s',
    facts: { kind: 'not-provider', blame: 'request' },
    expected: judged('neutral', false, 'request'),
  },
  {
    name: 'a fault of the sidecar is never the provider’s',
    facts: { kind: 'not-provider', blame: 'sidecar' },
    expected: judged('neutral', false, 'sidecar'),
  },
];

describe('judging how an upstream attempt ended', () => {
  it.each(CASES)('$name', ({ facts, expected }) => {
    expect(judgeOutcome(facts)).toEqual(expected);
  });
});
