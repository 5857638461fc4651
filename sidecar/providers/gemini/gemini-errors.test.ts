import { describe, expect, it } from '@jest/globals';
import { parseGoogleError, parseProtoDuration } from './gemini-errors.ts';
import { fixtureText } from './test-support.ts';

/** A daily quota counted per project, with no model among its dimensions. */
const projectDailyQuota = JSON.stringify({
  error: {
    code: 429,
    message: 'Quota exceeded for quota metric.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_project',
            quotaId: 'GenerateRequestsPerDayPerProject',
            quotaDimensions: { location: 'global' },
          },
        ],
      },
    ],
  },
});

describe('Google API errors', () => {
  const cases: [string, number, string, object][] = [
    [
      'a per-minute rate limit waits for its RetryInfo delay',
      429,
      fixtureText('error-rate-limited.json'),
      { code: 'RESOURCE_EXHAUSTED', retryAfterMs: 30_000 },
    ],
    [
      'a used-up daily quota is quota exhaustion, whatever short delay it suggests',
      429,
      fixtureText('error-daily-quota.json'),
      { code: 'RESOURCE_EXHAUSTED', retryAfterMs: 22_000, quotaExhausted: true, quotaOfModelOnly: true },
    ],
    [
      'a used-up daily quota of the whole project is the account’s, not one model’s',
      429,
      projectDailyQuota,
      { code: 'RESOURCE_EXHAUSTED', quotaExhausted: true },
    ],
    [
      'a bad API key (400 API_KEY_INVALID) stands for 401',
      400,
      fixtureText('error-api-key-invalid.json'),
      { code: 'INVALID_ARGUMENT', status: 401, message: 'API key not valid. Please pass a valid API key.' },
    ],
    [
      'an unsupported user location (400 FAILED_PRECONDITION) stands for 403',
      400,
      fixtureText('error-location-unsupported.json'),
      { code: 'FAILED_PRECONDITION', status: 403 },
    ],
    [
      'an invalid request stays a 400',
      400,
      '{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\\n","status":"INVALID_ARGUMENT"}}',
      { code: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents: contents is not specified\n' },
    ],
    [
      'an overloaded model passes its message on',
      503,
      '{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}',
      { code: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
    ],
    [
      'an error inside a JSON array (streaming without alt=sse) is read too',
      500,
      '[{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}]',
      { code: 'INTERNAL', message: 'An internal error has occurred.' },
    ],
    [
      'a body that is not JSON (a proxy’s HTML page) gives a generic message',
      404,
      '<html><title>Error 404 (Not Found)!!1</title></html>',
      { code: null, message: 'upstream answered HTTP 404' },
    ],
  ];
  it.each(cases)('%s', (_name, status, body, expected) => {
    const info = parseGoogleError(status, body);
    expect(info).toMatchObject(expected);
    if (!('status' in expected)) expect(info.status).toBeUndefined();
    if (!('quotaExhausted' in expected)) expect(info.quotaExhausted).toBeUndefined();
    if (!('quotaOfModelOnly' in expected)) expect(info.quotaOfModelOnly).toBeUndefined();
  });

  const durations: [string | undefined, number | undefined][] = [
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['0.000001s', 0.001],
    ['-3s', 0],
    ['3600s', 600_000],
    ['30', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  it.each(durations)('reads the protobuf duration %j as %j ms (clamped to the longest wait)', (text, ms) => {
    expect(parseProtoDuration(text)).toBe(ms);
  });
});
