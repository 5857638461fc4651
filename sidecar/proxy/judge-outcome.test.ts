import { describe, expect, it } from '@jest/globals';
import { judgeOutcome, type AttemptFacts, type Judgement } from './judge-outcome.ts';

const judged = (
  verdict: Judgement['verdict'],
  retryable: boolean,
  blame: Judgement['blame'],
  scope: Judgement['scope'],
  extra: { coolDown?: boolean; credentialsRefused?: boolean; contextTooLong?: boolean } = {},
): Judgement => ({
  verdict,
  retryable,
  blame,
  scope,
  coolDown: false,
  credentialsRefused: false,
  contextTooLong: false,
  ...extra,
});

const SERVED = judged('success', false, undefined, 'target');
const TARGET_FAILED = judged('failure', true, 'provider', 'target');
const PROVIDER_FAILED = judged('failure', true, 'provider', 'provider');
const TARGET_RATE_LIMITED = judged('neutral', true, 'provider', 'target', { coolDown: true });
const PROVIDER_QUOTA_USED_UP = judged('neutral', true, 'provider', 'provider', { coolDown: true });
const MODEL_QUOTA_USED_UP = judged('neutral', true, 'provider', 'target', { coolDown: true });
const REQUEST_AT_FAULT = judged('success', false, 'request', 'target');
const TOO_LONG_FOR_TARGET = judged('success', true, 'request', 'target', { contextTooLong: true });
const CREDENTIALS_REFUSED = judged('failure', true, 'provider', 'provider', { credentialsRefused: true });

const CASES: { name: string; facts: AttemptFacts; expected: Judgement }[] = [
  {
    name: 'a 200 answer is a success, nobody’s fault',
    facts: { kind: 'answer', status: 200 },
    expected: SERVED,
  },
  {
    name: 'a 500 fails that model of the provider and is retried',
    facts: { kind: 'answer', status: 500 },
    expected: TARGET_FAILED,
  },
  {
    name: 'Anthropic’s 529 fails that model of the provider',
    facts: { kind: 'answer', status: 529 },
    expected: TARGET_FAILED,
  },
  {
    name: 'a 429 cools that model of the provider down, is retried, is no failure',
    facts: { kind: 'answer', status: 429 },
    expected: TARGET_RATE_LIMITED,
  },
  {
    name: 'a 429 saying the account’s quota is used up cools the whole provider down',
    facts: { kind: 'answer', status: 429, quotaExhausted: true },
    expected: PROVIDER_QUOTA_USED_UP,
  },
  {
    name: 'a 429 saying one model’s own quota is used up cools only that model of the provider down',
    facts: { kind: 'answer', status: 429, quotaExhausted: true, quotaOfModelOnly: true },
    expected: MODEL_QUOTA_USED_UP,
  },
  {
    name: 'a 400 is the request’s fault, not retried',
    facts: { kind: 'answer', status: 400 },
    expected: REQUEST_AT_FAULT,
  },
  {
    name: 'a context-length 400 is the request’s fault for this target only: a larger window may serve it',
    facts: { kind: 'answer', status: 400, contextLengthExceeded: true },
    expected: TOO_LONG_FOR_TARGET,
  },
  {
    name: 'a 401 marks the whole provider hard-down',
    facts: { kind: 'answer', status: 401 },
    expected: CREDENTIALS_REFUSED,
  },
  {
    name: 'a 403 marks the whole provider hard-down',
    facts: { kind: 'answer', status: 403 },
    expected: CREDENTIALS_REFUSED,
  },
  {
    name: 'a 404 (model not found) fails that model of the provider only',
    facts: { kind: 'answer', status: 404 },
    expected: TARGET_FAILED,
  },
  {
    name: 'an in-stream overload is judged like a 503',
    facts: { kind: 'stream-error', status: 503, retryable: true },
    expected: TARGET_FAILED,
  },
  {
    name: 'an in-stream rate limit is judged like a 429',
    facts: { kind: 'stream-error', status: 429, retryable: true },
    expected: TARGET_RATE_LIMITED,
  },
  {
    name: 'an in-stream insufficient_quota cools the whole provider down, as its 429 answer would',
    facts: { kind: 'stream-error', status: 429, retryable: true, quotaExhausted: true },
    expected: PROVIDER_QUOTA_USED_UP,
  },
  {
    name: 'an in-stream context-length error moves the request like the 400 answer would',
    facts: { kind: 'stream-error', status: 400, retryable: false, contextLengthExceeded: true },
    expected: TOO_LONG_FOR_TARGET,
  },
  {
    name: 'an in-stream bad request is the request’s fault',
    facts: { kind: 'stream-error', status: 400, retryable: false },
    expected: REQUEST_AT_FAULT,
  },
  {
    name: 'an in-stream error its dialect calls final is not retried',
    facts: { kind: 'stream-error', status: 500, retryable: false },
    expected: judged('failure', false, 'provider', 'target'),
  },
  {
    name: 'a stream cut before it was complete fails that model of the provider',
    facts: { kind: 'stream-cut' },
    expected: TARGET_FAILED,
  },
  {
    name: 'an answer not in the dialect’s shape fails that model of the provider',
    facts: { kind: 'bad-answer' },
    expected: TARGET_FAILED,
  },
  {
    name: 'a refused connection fails the whole provider',
    facts: { kind: 'transport', error: 'connect' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a connection reset before the answer fails the whole provider',
    facts: { kind: 'transport', error: 'reset' },
    expected: PROVIDER_FAILED,
  },
  {
    name: 'a deadline missed after the request went out fails that model of the provider',
    facts: { kind: 'transport', error: 'timeout' },
    expected: TARGET_FAILED,
  },
  {
    name: 'a client that went away says nothing about the provider',
    facts: { kind: 'client-gone' },
    expected: judged('neutral', false, 'request', 'target'),
  },
  {
    name: 'a fault of the request found mid-attempt is never the provider’s',
    facts: { kind: 'not-provider', blame: 'request' },
    expected: judged('neutral', false, 'request', 'target'),
  },
  {
    name: 'a fault of the sidecar is never the provider’s',
    facts: { kind: 'not-provider', blame: 'sidecar' },
    expected: judged('neutral', false, 'sidecar', 'target'),
  },
];

describe('judging how an upstream attempt ended', () => {
  it.each(CASES)('$name', ({ facts, expected }) => {
    expect(judgeOutcome(facts)).toEqual(expected);
  });
});
