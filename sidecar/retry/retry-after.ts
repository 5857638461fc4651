/**
 * Reading how long a provider asks us to wait: the HTTP `Retry-After` header (delay-seconds or HTTP-date,
 * RFC 9110 §10.2.3) and OpenAI's `retry-after-ms`. Every function returns a deadline on the timeline of `now`
 * (epoch milliseconds in production, as HTTP-dates are), clamped to at most `maxMs` ahead, or undefined when
 * the header is missing or unreadable, so the caller applies its default cool-down.
 */

/** Waits longer than this are taken as this: a provider asking for an hour is not believed. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Reads one response header by lower-case name; Node's IncomingHttpHeaders and fetch Headers both fit. */
export type HeaderGetter = (name: string) => string | readonly string[] | null | undefined;

const DECIMAL = /^\d+(?:\.\d+)?$/;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** Sun, 06 Nov 1994 08:49:37 GMT — the preferred form. */
const IMF_FIXDATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} gmt$`,
  'i',
);
/** Sunday, 06-Nov-94 08:49:37 GMT — obsolete, with a two-digit year. */
const RFC850_DATE = new RegExp(
  `^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} gmt$`,
  'i',
);
/** Sun Nov  6 08:49:37 1994 — obsolete C asctime() form, in UTC. */
const ASCTIME_DATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`,
  'i',
);

function deadline(delayMs: number, now: number, maxMs: number): number {
  return now + Math.min(Math.max(0, delayMs), maxMs);
}

/** `Retry-After` as delay-seconds or an HTTP-date. A date in the past means: retry now (the deadline is `now`). */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number,
  maxMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  if (DECIMAL.test(text)) return deadline(Number(text) * 1_000, now, maxMs);
  const date = parseHttpDate(text, now);
  return date === undefined ? undefined : deadline(date - now, now, maxMs);
}

/** OpenAI's `retry-after-ms`: a delay in milliseconds. */
export function parseRetryAfterMs(
  value: string | null | undefined,
  now: number,
  maxMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  const text = value?.trim();
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  return deadline(Number(text), now, maxMs);
}

/** The wait a response asks for: `retry-after-ms` when it is readable (it is more precise), else `retry-after`. */
export function retryDeadlineFromHeaders(
  getHeader: HeaderGetter,
  now: number,
  maxMs: number = MAX_RETRY_AFTER_MS,
): number | undefined {
  return (
    parseRetryAfterMs(firstValue(getHeader('retry-after-ms')), now, maxMs) ??
    parseRetryAfter(firstValue(getHeader('retry-after')), now, maxMs)
  );
}

function firstValue(value: string | readonly string[] | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/** Epoch milliseconds of an HTTP-date in any of its three forms, or undefined. */
export function parseHttpDate(text: string, now: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2], Number(m[1]), m[4], m[5], m[6]);
  m = RFC850_DATE.exec(text);
  if (m) return utc(fullYear(Number(m[3]), now), m[2], Number(m[1]), m[4], m[5], m[6]);
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(Number(m[6]), m[1], Number(m[2]), m[3], m[4], m[5]);
  return undefined;
}

/** RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with those digits. */
function fullYear(twoDigits: number, now: number): number {
  const currentYear = new Date(now).getUTCFullYear();
  const year = currentYear - (currentYear % 100) + twoDigits;
  return year > currentYear + 50 ? year - 100 : year;
}

function utc(
  year: number,
  monthName: string | undefined,
  day: number,
  hours: string | undefined,
  minutes: string | undefined,
  seconds: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthName?.toLowerCase() ?? '');
  const [h, min, s] = [Number(hours), Number(minutes), Number(seconds)];
  if (month < 0 || h > 23 || min > 59 || s > 60) return undefined;
  // Date.UTC rolls 31 Feb over into March; such a date is not a date.
  if (new Date(Date.UTC(year, month, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(year, month, day, h, min, s);
}
