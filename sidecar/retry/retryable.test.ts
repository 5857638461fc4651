import { describe, expect, it } from '@jest/globals';
import { classifyOutcome, type UpstreamOutcome } from './retryable.ts';

describe('classifying an upstream outcome', () => {
  const cases: {
    name: string;
    outcome: UpstreamOutcome;
    retryable: boolean;
    breaker: string;
    coolDown?: boolean;
  }[] = [
    { name: 'a 200 is a success and final', outcome: { status: 200 }, retryable: false, breaker: 'success' },
    {
      name: 'a connect error is retried elsewhere and trips the breaker',
      outcome: { transportError: 'connect' },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a timeout is retried elsewhere and trips the breaker',
      outcome: { transportError: 'timeout' },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a reset is retried elsewhere and trips the breaker',
      outcome: { transportError: 'reset' },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a client abort is neither retried nor judged',
      outcome: { transportError: 'aborted-by-client' },
      retryable: false,
      breaker: 'neutral',
    },
    {
      name: 'a 429 is retried elsewhere and cools down, without tripping the breaker',
      outcome: { status: 429 },
      retryable: true,
      breaker: 'neutral',
      coolDown: true,
    },
    {
      name: 'a 408 is retried elsewhere and trips the breaker like a timeout',
      outcome: { status: 408 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 409 (transient lock) is retried elsewhere and says nothing about health',
      outcome: { status: 409 },
      retryable: true,
      breaker: 'neutral',
    },
    {
      name: 'a 400 is the request’s fault: not retried, the provider is fine',
      outcome: { status: 400 },
      retryable: false,
      breaker: 'success',
    },
    { name: 'a 413 is the request’s fault', outcome: { status: 413 }, retryable: false, breaker: 'success' },
    { name: 'a 422 is the request’s fault', outcome: { status: 422 }, retryable: false, breaker: 'success' },
    {
      name: 'a 401 means this target’s key is wrong: retried elsewhere, trips the breaker',
      outcome: { status: 401 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 403 means this target’s key lacks access: retried elsewhere, trips the breaker',
      outcome: { status: 403 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 404 means this target lacks the model: retried elsewhere, trips the breaker',
      outcome: { status: 404 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 500 is retried elsewhere and trips the breaker',
      outcome: { status: 500 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 502 is retried elsewhere and trips the breaker',
      outcome: { status: 502 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 503 is retried elsewhere and trips the breaker',
      outcome: { status: 503 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 504 is retried elsewhere and trips the breaker',
      outcome: { status: 504 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 529 (Anthropic overloaded) is retried elsewhere and trips the breaker',
      outcome: { status: 529 },
      retryable: true,
      breaker: 'failure',
    },
    {
      name: 'a 302 means a misconfigured target: retried elsewhere, trips the breaker',
      outcome: { status: 302 },
      retryable: true,
      breaker: 'failure',
    },
  ];

  it.each(cases)('$name', ({ outcome, retryable, breaker, coolDown = false }) => {
    expect(classifyOutcome(outcome)).toEqual({ retryable, breaker, coolDown });
  });
});
