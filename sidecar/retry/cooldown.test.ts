import { describe, expect, it } from '@jest/globals';
import {
  coolDownUntil,
  CoolDown,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  parseRetryAfterMs,
  retryDeadlineFromHeaders,
  type HeaderGetter,
} from './cooldown.ts';

/** Sun, 06 Nov 1994 08:49:37 GMT */
const NOW = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('Retry-After header', () => {
  it.each([
    { name: 'delay-seconds is read as seconds from now', value: '120', deadline: NOW + 120_000 },
    { name: 'zero seconds means retry now', value: '0', deadline: NOW },
    { name: 'surrounding whitespace is ignored', value: '  7 ', deadline: NOW + 7_000 },
    { name: 'fractional seconds are accepted', value: '1.5', deadline: NOW + 1_500 },
    {
      name: 'an IMF-fixdate in the future is that instant',
      value: 'Sun, 06 Nov 1994 08:50:07 GMT',
      deadline: NOW + 30_000,
    },
    {
      name: 'an HTTP-date is read as GMT whatever the case',
      value: 'sun, 06 NOV 1994 08:50:07 gmt',
      deadline: NOW + 30_000,
    },
    {
      name: 'an HTTP-date in the past means retry now',
      value: 'Sun, 06 Nov 1994 08:00:00 GMT',
      deadline: NOW,
    },
    {
      name: 'an obsolete RFC 850 date is understood',
      value: 'Sunday, 06-Nov-94 08:51:37 GMT',
      deadline: NOW + 120_000,
    },
    {
      name: 'an obsolete asctime date is understood',
      value: 'Sun Nov  6 08:52:37 1994',
      deadline: NOW + 180_000,
    },
    { name: 'a huge delay is clamped to the maximum', value: '86400', deadline: NOW + MAX_RETRY_AFTER_MS },
    {
      name: 'an absurdly long number is clamped to the maximum',
      value: '9'.repeat(400),
      deadline: NOW + MAX_RETRY_AFTER_MS,
    },
    {
      name: 'a date years ahead is clamped to the maximum',
      value: 'Wed, 06 Nov 2024 08:49:37 GMT',
      deadline: NOW + MAX_RETRY_AFTER_MS,
    },
    { name: 'a missing header is undefined', value: undefined, deadline: undefined },
    { name: 'a null header is undefined', value: null, deadline: undefined },
    { name: 'an empty header is undefined', value: '  ', deadline: undefined },
    { name: 'a negative delay is undefined', value: '-5', deadline: undefined },
    { name: 'a number with a unit is undefined', value: '5s', deadline: undefined },
    { name: 'garbage is undefined', value: 'soon', deadline: undefined },
    { name: 'a loosely date-like string is undefined', value: 'Nov 6 1994', deadline: undefined },
    {
      name: 'an impossible calendar date is undefined',
      value: 'Thu, 31 Feb 1994 08:49:37 GMT',
      deadline: undefined,
    },
    { name: 'an impossible time is undefined', value: 'Sun, 06 Nov 1994 25:00:00 GMT', deadline: undefined },
    { name: 'a date without GMT is undefined', value: 'Sun, 06 Nov 1994 08:49:37 PST', deadline: undefined },
  ])('$name', ({ value, deadline }) => {
    expect(parseRetryAfter(value, NOW)).toBe(deadline);
  });

  it('a two-digit RFC 850 year more than 50 years ahead belongs to the past century, 50 years ahead to this one', () => {
    const now = Date.UTC(2030, 0, 1);
    expect(parseRetryAfter('Thursday, 01-Jan-81 00:00:00 GMT', now)).toBe(now); // 1981, in the past
    expect(parseRetryAfter('Monday, 01-Jan-80 00:00:00 GMT', now, Infinity)).toBe(Date.UTC(2080, 0, 1));
  });

  it('the maximum can be chosen by the caller', () => {
    expect(parseRetryAfter('120', NOW, 60_000)).toBe(NOW + 60_000);
  });
});

describe('retry-after-ms header', () => {
  it.each([
    { name: 'milliseconds are read as milliseconds from now', value: '1500', deadline: NOW + 1_500 },
    { name: 'fractional milliseconds are kept', value: '20.5', deadline: NOW + 20.5 },
    { name: 'a huge value is clamped to the maximum', value: '99999999', deadline: NOW + MAX_RETRY_AFTER_MS },
    { name: 'garbage is undefined', value: 'abc', deadline: undefined },
    { name: 'a date is not milliseconds', value: 'Sun, 06 Nov 1994 08:50:07 GMT', deadline: undefined },
  ])('$name', ({ value, deadline }) => {
    expect(parseRetryAfterMs(value, NOW)).toBe(deadline);
  });
});

describe('deadline from response headers', () => {
  const headers =
    (values: Record<string, string | string[] | undefined>): HeaderGetter =>
    (name) =>
      values[name];

  it.each([
    {
      name: 'retry-after-ms wins over retry-after',
      values: { 'retry-after-ms': '250', 'retry-after': '9' },
      deadline: NOW + 250,
    },
    {
      name: 'retry-after is used without retry-after-ms',
      values: { 'retry-after': '9' },
      deadline: NOW + 9_000,
    },
    {
      name: 'an unreadable retry-after-ms falls back to retry-after',
      values: { 'retry-after-ms': 'x', 'retry-after': '9' },
      deadline: NOW + 9_000,
    },
    {
      name: 'a repeated header is read from its first value',
      values: { 'retry-after': ['3', '60'] },
      deadline: NOW + 3_000,
    },
    { name: 'no header gives undefined so the caller applies its default', values: {}, deadline: undefined },
    {
      name: 'only garbage gives undefined',
      values: { 'retry-after-ms': 'x', 'retry-after': 'later' },
      deadline: undefined,
    },
  ])('$name', ({ values, deadline }) => {
    expect(retryDeadlineFromHeaders(headers(values), NOW)).toBe(deadline);
  });

  it('reads a fetch Headers object through its get method', () => {
    const h = new Headers({ 'Retry-After-Ms': '40' });
    expect(retryDeadlineFromHeaders((name) => h.get(name), NOW)).toBe(NOW + 40);
  });
});

describe('cool-down of one target', () => {
  const cases: {
    name: string;
    deadlines: number[];
    at: number;
    cooling: boolean;
    until: number | undefined;
  }[] = [
    {
      name: 'a target never cooled down is available',
      deadlines: [],
      at: 0,
      cooling: false,
      until: undefined,
    },
    {
      name: 'a target cools down until just before its deadline',
      deadlines: [1_000],
      at: 999,
      cooling: true,
      until: 1_000,
    },
    {
      name: 'a target is available again at its deadline',
      deadlines: [1_000],
      at: 1_000,
      cooling: false,
      until: 1_000,
    },
    {
      name: 'a later deadline extends the cool-down',
      deadlines: [1_000, 5_000],
      at: 4_000,
      cooling: true,
      until: 5_000,
    },
    {
      name: 'an earlier deadline does not shorten it',
      deadlines: [5_000, 1_000],
      at: 4_000,
      cooling: true,
      until: 5_000,
    },
  ];

  it.each(cases)('$name', ({ deadlines, at, cooling, until }) => {
    const c = new CoolDown();
    deadlines.forEach((d) => c.coolDown(d));
    expect(c.isCoolingDown(at)).toBe(cooling);
    expect(c.coolingUntil).toBe(until);
  });
});

describe('how long a rate-limited provider cools down', () => {
  const settings = { defaultCooldownMs: 5_000, quotaExhaustedCooldownMs: 300_000 };
  it.each([
    { name: 'as long as Retry-After asks', asked: NOW + 12_000, quota: false, until: NOW + 12_000 },
    { name: 'the pool’s default without Retry-After', asked: undefined, quota: false, until: NOW + 5_000 },
    {
      name: 'at least the quota cool-down when the quota is used up, whatever Retry-After says',
      asked: NOW + 12_000,
      quota: true,
      until: NOW + 300_000,
    },
    {
      name: 'longer than the quota cool-down when Retry-After asks for longer',
      asked: NOW + 400_000,
      quota: true,
      until: NOW + 400_000,
    },
  ])('$name', ({ asked, quota, until }) => {
    expect(coolDownUntil(NOW, asked, quota, settings)).toBe(until);
  });
});
